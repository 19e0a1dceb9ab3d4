package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/homemmsc/homemmsc/internal/display"
	"github.com/homemmsc/homemmsc/internal/modem"
	"github.com/homemmsc/homemmsc/internal/modem/ownersms"
	"github.com/homemmsc/homemmsc/internal/outbox"
	"github.com/homemmsc/homemmsc/internal/push"
	"github.com/homemmsc/homemmsc/internal/store"
)

// modemOptions are the modem flags besides -modem and -owner (in main).
type modemOptions struct {
	pin      string
	inboxURL string
	window   time.Duration
	spacing  time.Duration
	testTo   string
	testText string
	// unpaired names a message's recipients that are not paired phones,
	// for the owner's SMS; nil when delivery to paired phones is off.
	unpaired func(store.Meta) []string
}

// register declares the modem flags on fs.
func (m *modemOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&m.pin, "modem-pin", "", "SIM PIN, entered once when the SIM asks (a rejected PIN is never retried)")
	fs.StringVar(&m.inboxURL, "inbox-url", "", "link added to every notification SMS, e.g. http://mms.home.lan:8080/")
	fs.DurationVar(&m.window, "notify-window", time.Minute, "after a notification SMS, gather further messages for this long into one SMS (0 = one SMS per message)")
	fs.DurationVar(&m.spacing, "notify-spacing", 3*time.Second, "least time between two SMS the modem sends")
	fs.StringVar(&m.testTo, "modem-test", "", "hardware check: send one SMS to this number through -modem, print every AT exchange, and exit")
	fs.StringVar(&m.testText, "modem-test-text", "homemmsc: modem test", "text of the -modem-test SMS")
}

// modemOff tells whether -modem asks for no modem.
func modemOff(spec string) bool { return spec == "" || spec == "none" }

// modemRun is the running modem: what the display shows of it, what the
// metrics read, the pusher that texts recipients through it (issue 7),
// and how to stop it.
type modemRun struct {
	status func() *display.Modem         // nil without a modem
	modem  func() modem.Status           // nil without a modem; for /metrics and the status page
	outbox func() (ownersms.Stats, bool) // nil without a modem; false without the owner's outbox
	pusher *push.Pusher                  // nil without a modem; shares the device with the owner notifier
	ready  func() <-chan struct{}        // the device's Ready; nil without a modem
	stop   func()
}

// startModem runs the modem and the owner notifications. With -modem none
// it logs one line and the rest of the appliance goes on.
func startModem(ctx context.Context, spec, ownerSpec string, mo modemOptions, dataDir string, st *store.Store, box *outbox.Outbox, log *slog.Logger) modemRun {
	if modemOff(spec) {
		log.Info("modem absent (-modem none): no SMS notifications")
		return modemRun{stop: func() {}}
	}
	owners, err := ownersms.ParseOwners(ownerSpec) // checked by parseOptions too
	if err != nil {
		log.Error("modem: "+err.Error(), "owner", ownerSpec)
	}
	dev := modem.NewDevice(modem.SerialConfig(spec, mo.pin, log))
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { dev.Run(ctx) })
	mr := modemRun{modem: dev.Status, pusher: push.New(dev, push.Config{Logger: log}), ready: dev.Ready, stop: func() { cancel(); wg.Wait() }}
	var n *ownersms.Notifier
	switch {
	case box == nil: // the outbox failed to open (logged)
	case len(owners) == 0:
		log.Warn("modem: no -owner number: nobody is texted when an MMS arrives; the modem still sends paired phones their MMS notifications when delivery (-public-url) is on")
	default:
		if n, err = startNotifier(ctx, &wg, dev, box, owners, mo, dataDir, st, log); err != nil {
			log.Error("modem: notifications off", "err", err)
		}
	}
	mr.status, mr.outbox = display.ModemOf(dev.Status, n.Len), n.StatsIfOn
	return mr
}

// openOutbox opens the one queue of sends in <data>/outbox, when there is
// a transport to use it (need), and runs it until ctx is done; nil if
// not needed, or (logged) if it cannot open: nothing is then sent. Its
// kinds register as their senders start.
func openOutbox(ctx context.Context, need bool, dataDir string, spacing time.Duration, log *slog.Logger) (box *outbox.Outbox, stop func()) {
	if !need {
		return nil, func() {}
	}
	box, err := outbox.Open(outbox.Config{Dir: filepath.Join(dataDir, "outbox"), MinSpacing: spacing, Logger: log})
	if err != nil {
		log.Error("outbox: cannot open: no notifications, no delivery", "err", err)
		return nil, func() {}
	}
	return box, box.Start(ctx)
}

// startNotifier opens the owner's notifications (their ledger lives in
// the outbox's directory), queues what a crash may have lost, and feeds
// them every stored message.
func startNotifier(ctx context.Context, wg *sync.WaitGroup, dev *modem.Device, box *outbox.Outbox, owners []string, mo modemOptions, dataDir string, st *store.Store, log *slog.Logger) (*ownersms.Notifier, error) {
	n, err := ownersms.Open(ownersms.Config{
		Dir: filepath.Join(dataDir, "outbox"), Owners: owners, InboxURL: mo.inboxURL,
		Window: mo.window, Outbox: box, Logger: log,
	}, dev)
	if err != nil {
		return nil, err
	}
	wg.Go(n.Feed(ctx, st, mo.unpaired))
	wg.Go(func() { n.Run(ctx) })
	log.Info("modem: notifications on", "owners", len(owners), "window", mo.window, "inbox_url", mo.inboxURL)
	return n, nil
}

// runModemTest is -modem-test: start the modem, send one SMS, and print
// every AT exchange to out. It returns the exit code.
func runModemTest(ctx context.Context, spec string, mo modemOptions, out io.Writer) int {
	if modemOff(spec) {
		fmt.Fprintln(out, "homemmsc: -modem-test needs -modem PATH or -modem auto")
		return 2
	}
	return modem.RunTest(ctx, modem.SerialConfig(spec, mo.pin, nil), mo.testTo, mo.testText, out)
}
