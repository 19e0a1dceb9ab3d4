package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/homemmsc/homemmsc/internal/adapt"
	"github.com/homemmsc/homemmsc/internal/clock"
	"github.com/homemmsc/homemmsc/internal/deliver"
	"github.com/homemmsc/homemmsc/internal/flagvalue"
	"github.com/homemmsc/homemmsc/internal/inbox"
	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/mmsc"
	"github.com/homemmsc/homemmsc/internal/outbox"
	"github.com/homemmsc/homemmsc/internal/phones"
	"github.com/homemmsc/homemmsc/internal/push"
	"github.com/homemmsc/homemmsc/internal/store"
)

// deliverOptions are the flags of delivery to paired phones (issue 7).
type deliverOptions struct {
	publicURL    string
	expiry       time.Duration
	renotify     []time.Duration
	selfTest     string
	selfTestWait time.Duration
	fs           *flag.FlagSet // to find -lan for -self-test
}

// register declares the delivery flags on fs.
func (d *deliverOptions) register(fs *flag.FlagSet) {
	d.fs = fs
	d.expiry = deliver.DefaultExpiry
	d.renotify = deliver.DefaultSchedule.Renotify
	fs.Var(flagvalue.BaseURL{P: &d.publicURL}, "public-url", "how phones reach the MMSC listener, e.g. http://mms.example.org:8080 (or with a path behind a proxy: https://example.org/mmsc); needed to deliver to paired phones (empty = delivery off)")
	fs.Var(flagvalue.Days{P: &d.expiry}, "expiry", "longest a message waits for a paired phone to fetch it, e.g. 7d, 36h (the sender may ask less)")
	fs.Var(flagvalue.Durations{P: &d.renotify}, "renotify", "waits between repeated notifications to a phone that has not fetched; the last one repeats until expiry")
	fs.StringVar(&d.selfTest, "self-test", "", "reachability check: ask the running service (on -lan) to notify this paired phone, wait for it to fetch, print the result and exit")
	fs.DurationVar(&d.selfTestWait, "self-test-wait", 3*time.Minute, "how long -self-test waits for the phone")
}

// startDelivery runs delivery to paired phones, or says in one log line
// why it is off. It returns nil when off; stop ends it.
func startDelivery(ctx context.Context, o deliverOptions, dataDir string, st *store.Store, reg *phones.Registry, mr modemRun, box *outbox.Outbox, log *slog.Logger) (*deliver.Deliverer, func()) {
	switch {
	case o.publicURL == "":
		log.Info("delivery to paired phones off: set -public-url to the address phones reach this MMSC at")
		return nil, func() {}
	case mr.pusher == nil || box == nil:
		log.Info("delivery to paired phones off: it needs a modem (-modem) to send notifications")
		return nil, func() {}
	}
	var fit func(string, int, *mms.Message, int) (*mms.Message, error)
	if ad, err := adapt.New(adapt.Config{Dir: filepath.Join(dataDir, "adapted"), Logger: log}); err != nil {
		log.Error("pictures will not be made to fit the phones' size limits", "err", err)
	} else {
		fit = ad.Fit
	}
	d, err := deliver.Open(deliver.Config{
		Dir: filepath.Join(dataDir, "deliver"), PublicURL: o.publicURL, Store: st, Phones: reg, Pusher: mr.pusher, Outbox: box, Ready: mr.ready,
		EncodeNotification: push.Notification, Temporary: push.Temporary, Absent: push.Absent, Expiry: o.expiry,
		Schedule: deliver.Schedule{Renotify: o.renotify}, Fit: fit, Synced: clock.Synced, Logger: log,
	})
	if err != nil {
		log.Error("delivery to paired phones off", "err", err)
		return nil, func() {}
	}
	stop := d.Start(ctx, st)
	log.Info("delivery to paired phones on", "public_url", o.publicURL, "expiry", flagvalue.FormatDays(o.expiry), "renotify", flagvalue.Durations{P: &o.renotify}.String())
	return d, stop
}

// withDelivery routes the retrieve URLs and the phones' reports of a
// running delivery through the MMSC handler.
func withDelivery(cfg mmsc.Config, d *deliver.Deliverer) mmsc.Config {
	if d != nil {
		cfg.Retrieve, cfg.Report = d.Handler(), d.Report
	}
	return cfg
}

// inboxSelfTest is the inbox's reachability test: deliver's self-test,
// waiting as long as -self-test-wait. Nil when delivery is off.
func inboxSelfTest(d *deliver.Deliverer, wait time.Duration) func(context.Context, phones.Phone) (inbox.ReachResult, error) {
	if d == nil {
		return nil
	}
	return func(ctx context.Context, p phones.Phone) (inbox.ReachResult, error) {
		r, err := d.SelfTest(ctx, p, wait)
		return inbox.ReachResult(r), err // the same fields: the compiler checks the copy
	}
}

// deliveryOff says why delivery to paired phones is off, for the inbox;
// "" when it runs.
func deliveryOff(o deliverOptions, mr modemRun, d *deliver.Deliverer) string {
	switch {
	case d != nil:
		return ""
	case o.publicURL == "":
		return "delivery to paired phones is off: set -public-url."
	case mr.pusher == nil:
		return "delivery to paired phones is off: it needs a modem (-modem)."
	}
	return "delivery to paired phones failed to start: see the log."
}

// runSelfTest is -self-test NAME: it asks the running service, through
// its LAN listener, to run the self-test, and prints the answer. It
// returns the exit code: 0 when the phone fetched, 1 otherwise.
func runSelfTest(ctx context.Context, o deliverOptions, out io.Writer) int {
	lan := ""
	if f := o.fs.Lookup("lan"); f != nil {
		lan = f.Value.String()
	}
	if lan == "" {
		fmt.Fprintln(out, "homemmsc: -self-test asks the running service through its LAN listener: give -lan (or HOMEMMSC_LAN) as the service has it")
		return 2
	}
	return deliver.RunSelfTest(ctx, lan, o.selfTest, o.selfTestWait, out)
}
