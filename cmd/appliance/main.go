// Command appliance is homemmsc: a home MMSC that receives the MMS your
// phones send, stores them on the SD card and shows them on a small display.
//
// Every flag can also be set with an environment variable HOMEMMSC_<NAME>
// (upper case, '-' → '_'; e.g. HOMEMMSC_MAX_SIZE=2M), for systemd's
// EnvironmentFile. The variable sets the default and the flag wins.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/homemmsc/homemmsc/internal/clock"
	"github.com/homemmsc/homemmsc/internal/deliver"
	"github.com/homemmsc/homemmsc/internal/display"
	"github.com/homemmsc/homemmsc/internal/flagvalue"
	"github.com/homemmsc/homemmsc/internal/httpserve"
	"github.com/homemmsc/homemmsc/internal/inbox"
	"github.com/homemmsc/homemmsc/internal/logring"
	"github.com/homemmsc/homemmsc/internal/logwriter"
	"github.com/homemmsc/homemmsc/internal/mmsc"
	"github.com/homemmsc/homemmsc/internal/modem/ownersms"
	"github.com/homemmsc/homemmsc/internal/netaddr"
	"github.com/homemmsc/homemmsc/internal/phones"
	"github.com/homemmsc/homemmsc/internal/reach"
	"github.com/homemmsc/homemmsc/internal/store"
	"github.com/homemmsc/homemmsc/internal/watchdog"
)

// version is stamped at build time: -ldflags "-X main.version=...".
var version = "dev"

// envPrefix starts the environment variable of every flag.
const envPrefix = "HOMEMMSC_"

// defaultMemoryLimit is the Go runtime's soft memory limit unless the
// GOMEMLIMIT environment variable sets another. Near it the GC runs
// sooner (never with more than half the CPU) instead of letting the heap
// grow to twice what is live: with 64 clients posting 300 KB messages
// the peak RSS went from 29-41 MB (mean 34, 9 runs) to 27-37 MB (mean
// 31, 6 runs) at the same req/s and CPU (cmd/mmsload); with fewer
// clients the limit is not reached. A burst of several 5 MiB messages may exceed it: the GC then
// works harder, nothing fails.
const defaultMemoryLimit = 32 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run is main with its inputs and outputs passed in; it returns the exit
// code: 0 after -version, -help or a clean shutdown, 2 for a usage error,
// 1 for a fatal error.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	o, err := parseOptions(args, getenv, stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case err != nil:
		fmt.Fprintln(stderr, "homemmsc:", err)
		return 2
	case o.showVersion:
		fmt.Fprintln(stdout, version)
		return 0
	case o.modemOpts.testTo != "":
		return runModemTest(context.Background(), o.modem, o.modemOpts, stdout)
	case o.deliverOpts.selfTest != "":
		return runSelfTest(context.Background(), o.deliverOpts, stdout)
	}
	// A stalled journald must not stall the handlers that log.
	lw := logwriter.New(stderr, 0)
	defer lw.Close()
	o.logDropped = lw.Dropped
	log := slog.New(slog.NewTextHandler(lw, &slog.HandlerOptions{Level: o.logLevel}))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := serve(ctx, o, log); err != nil {
		log.Error("homemmsc: fatal", "err", err)
		return 1
	}
	return 0
}

// options are the parsed flags.
type options struct {
	listen      string
	data        string
	maxSize     int64
	quota       int64
	phonesSpec  string
	phones      []phones.Phone // the -phones entries; the inbox pairs more
	open        string         // "auto", "on" or "off"
	logLevel    slog.Level
	display     string
	displayOpts displayOptions // -display-* flags, see display.go
	modem       string
	owner       string
	modemOpts   modemOptions // -modem-* and notification flags, see modem.go
	lanOpts     lanOptions   // -lan, -rate, -rate-burst, -allow: see lan.go
	deliverOpts deliverOptions
	inboxOpts   inboxOptions // -inbox-password-file: see inbox.go
	reachOpts   reachOptions // -portmap*, -dyndns, -self-test-phones: see reach.go
	mailOpts    mailOptions  // -mail-*: e-mail forwarding, see mail.go
	showVersion bool
	getenv      func(string) string // for systemd's NOTIFY_SOCKET and WATCHDOG_* (internal/watchdog)
	logDropped  func() uint64       // log lines dropped (internal/logwriter); nil in tests
}

// parseOptions declares the flags, applies the environment as defaults,
// parses args and loads the phone list.
func parseOptions(args []string, getenv func(string) string, out io.Writer) (options, error) {
	o := options{maxSize: mmsc.DefaultMaxSize, open: "auto", getenv: getenv}
	fs := flag.NewFlagSet("homemmsc", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() { usage(fs) }
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8080", "MMSC listener address (phones POST here; port-forward it)")
	fs.StringVar(&o.data, "data", defaultDataDir(getenv), "message store directory")
	fs.Var(flagvalue.Size{P: &o.maxSize, Min: 1 << 10, Max: mmsc.MaxMaxSize}, "max-size", "largest MMS accepted, e.g. 300K, 2M (at most 5M)")
	fs.Var(flagvalue.Size{P: &o.quota, Max: 1 << 40}, "quota", "most bytes the store keeps, e.g. 500M, 2G; 0 = no quota (free-space floor only)")
	fs.StringVar(&o.phonesSpec, "phones", "", "paired phones: name:number:token,... or @/path/to/file")
	fs.Var(flagvalue.Enum{P: &o.open, Words: []string{"auto", "on", "off"}}, "open", "open endpoint /mms?n=: auto (on while no phone is paired), on, off")
	fs.TextVar(&o.logLevel, "log-level", slog.LevelInfo, "debug, info, warn or error")
	fs.StringVar(&o.display, "display", "none", "status display: i2c (ssd1306), sh1106, png:PATH or none")
	o.displayOpts.register(fs)
	fs.StringVar(&o.modem, "modem", "", "GSM modem for SMS notifications: serial port (best /dev/serial/by-id/...), auto, or none (empty = none)")
	fs.StringVar(&o.owner, "owner", "", "owner's phone number(s), comma-separated, texted when an MMS arrives")
	o.modemOpts.register(fs)
	o.lanOpts.register(fs)
	o.deliverOpts.register(fs)
	o.inboxOpts.register(fs)
	o.reachOpts.register(fs)
	o.mailOpts.register(fs)
	fs.BoolVar(&o.showVersion, "version", false, "print the version and exit")
	if err := flagEnv.Apply(fs, getenv); err != nil {
		return o, err
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.showVersion {
		return o, nil
	}
	if _, err := parseDisplay(o.display, o.displayOpts); err != nil {
		return o, err
	}
	if _, err := ownersms.ParseOwners(o.owner); err != nil {
		return o, err
	}
	if err := o.lanOpts.load(); err != nil {
		return o, err
	}
	if err := o.reachOpts.load(); err != nil {
		return o, err
	}
	if err := o.mailOpts.load(); err != nil {
		return o, err
	}
	var err error
	o.phones, err = phones.Load(o.phonesSpec)
	return o, err
}

// usage is -help: the flags, then how the environment sets them.
func usage(fs *flag.FlagSet) {
	fmt.Fprintln(fs.Output(), "Usage of homemmsc:")
	fs.PrintDefaults()
	fmt.Fprintf(fs.Output(), "\nEvery flag but -%s can also be set by an environment variable\n"+
		"%s<NAME> (upper case, '-' as '_': HOMEMMSC_MAX_SIZE=2M), as /etc/default/homemmsc\n"+
		"(board/homemmsc.default) does for the service; a flag on the command line wins. The defaults\n"+
		"above already include the environment's values.\n", strings.Join(flagEnv.OneShot, ", -"), envPrefix)
}

// flagEnv is how the environment sets the flags (see the package doc); the
// one-shot flags have no variable.
var flagEnv = flagvalue.Env{Prefix: envPrefix, OneShot: []string{"version", "modem-test", "modem-test-text", "self-test", "self-test-wait"}}

// defaultDataDir is systemd's StateDirectory= when it set one (the first,
// if several), else ./mmsc-data.
func defaultDataDir(getenv func(string) string) string {
	if d, _, _ := strings.Cut(getenv("STATE_DIRECTORY"), ":"); d != "" {
		return d
	}
	return "mmsc-data"
}

// phonesFile is where the phones paired in the inbox are kept, in -data.
const phonesFile = "phones.json"

// openPhones loads the phone registry: the -phones entries and the
// phones paired in the inbox, logging what it had to leave out.
func openPhones(o options, log *slog.Logger) (*phones.Registry, error) {
	reg, err := phones.Open(filepath.Join(o.data, phonesFile), o.phones)
	if err != nil {
		return nil, err
	}
	for _, w := range reg.Warnings() {
		log.Warn("homemmsc: " + w)
	}
	return reg, nil
}

// openEndpoint says whether the open endpoint is on now: -open=auto
// means on while no phone is paired.
func (o options) openEndpoint(reg *phones.Registry) bool {
	return o.open == "on" || (o.open == "auto" && reg.Len() == 0)
}

// serve opens the store, serves the MMSC (and the LAN listener, with
// -lan) until ctx is done, then drains the requests in flight and closes
// the store.
func serve(ctx context.Context, o options, log *slog.Logger) error {
	start := time.Now()
	prefix, err := mmsc.PathPrefix(o.deliverOpts.publicURL)
	if err != nil {
		return fmt.Errorf("-public-url %w", err)
	}
	log, lastErrors := logring.Keep(log) // for the inbox's status page
	st, err := store.Open(store.Config{Dir: o.data, MaxBytes: o.quota, ClockSynced: clock.Synced, Logger: log})
	if err != nil {
		return fmt.Errorf("store %s: %w", o.data, err)
	}
	if st.Stats().Messages > 0 {
		// What Open read to rebuild the index is garbage now: hand it
		// back rather than keep it as idle RSS (20,000 messages: 16 MB
		// instead of 33 after start; internal/store, "The index").
		debug.FreeOSMemory()
	}
	defer func() {
		if err := st.Close(); err != nil {
			log.Error("homemmsc: closing the store", "err", err)
		}
	}()
	reg, err := openPhones(o, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := reg.Close(); err != nil {
			log.Warn("homemmsc: saving the phones' last visits", "err", err)
		}
	}()
	ln, lanLn, err := httpserve.Listen(o.listen, o.lanOpts.addr)
	if err != nil {
		return err
	}
	var dlv *deliver.Deliverer // delivery to paired phones, started below
	rc, err := newReach(o.reachOpts, reachDeps{listen: ln.Addr(), publicURL: o.deliverOpts.publicURL,
		delivery: func() *deliver.Deliverer { return dlv }, phones: reg, wait: o.deliverOpts.selfTestWait}, log)
	if err != nil {
		return err
	}
	if rc != nil && o.deliverOpts.publicURL == "" {
		o.deliverOpts.publicURL = rc.PublicURL() // the -dyndns name, known from the start
	}
	if o.deliverOpts.publicURL != "" { // else nobody is delivered to
		o.modemOpts.unpaired = deliver.UnpairedFunc(reg)
	}
	box, stopBox := openOutbox(ctx, !modemOff(o.modem) || o.mailOpts.on, o.data, o.modemOpts.spacing, log)
	mr := startModem(ctx, o.modem, o.owner, o.modemOpts, o.data, st, box, log)
	defer mr.stop()
	defer stopBox() // before the modem stops: no send is cut off by it
	dlv, stopDelivery := startDelivery(ctx, o.deliverOpts, o.data, st, reg, mr, box, log)
	defer stopDelivery()
	mailStatus, stopMail := startMail(ctx, o.mailOpts, o.data, st, box, log)
	defer stopMail()
	stopReach := rc.Start(ctx)
	defer stopReach() // after the servers stop: removes the port mapping
	a := newAppliance(o, st, ln, mr, box, dlv, start, reach.Warnings(rc), log)
	ib, stopInbox, err := startInbox(o, lanLn, inbox.Config{Store: st, Phones: reg, MMSCURL: inbox.MMSCBase(o.deliverOpts.publicURL, ln.Addr().String()),
		SelfTest: inboxSelfTest(dlv, o.deliverOpts.selfTestWait), SelfTestOff: deliveryOff(o.deliverOpts, mr, dlv),
		Status: inbox.ApplianceStatus{ClockSynced: clock.Synced, Modem: mr.modem, Outbox: mr.outbox, Display: a.display.State, Errors: lastErrors.Last, Reach: reach.StatusFunc(rc), Mail: mailStatus}.Rows}, log)
	if err != nil {
		return err
	}
	defer stopInbox()
	h := mmsc.NewHandler(withDelivery(mmsc.Config{
		Store: st, Phones: reg, Open: o.open == "on", OpenUnpaired: o.open == "auto",
		MaxSize: o.maxSize, Logger: log, Prefix: prefix,
		OnResult: a.metrics.OnResult, OnRefused: a.refusals.MMSC, Allow: o.lanOpts.allowFunc(),
	}, dlv))
	logStartup(log, o, reg, ln.Addr().String())
	stopDisplay := startDisplay(ctx, o.display, o.displayOpts, displayDeps{watch: a.display,
		source: display.SourceConfig{Store: st, Quota: o.quota, Listen: ln.Addr().String(), Inbox: netaddr.Of(lanLn), Modem: mr.status, SetupCode: ib.SetupCode, Net: display.ReachMark(rc)}}, log)
	defer stopDisplay()
	go clock.Watch(ctx, clock.Synced, time.Tick(clock.Poll), log)
	stopService := watchdog.Start(ctx, watchdog.Config{Getenv: o.getenv, Stats: st.Stats, Dir: o.data,
		Listen: ln.Addr().String(), Probe: netaddr.Loopback(ln.Addr().String()), Logger: log})
	defer stopService()
	routes := lanRoutes(deliver.SelfTestHandler(dlv, reg, o.deliverOpts.selfTestWait), ib)
	return httpserve.Run(ctx, log, a.servers(h, lanLn, routes, log)...)
}

// logStartup says what runs and what to put in a phone's MMSC setting.
// Tokens are shortened: the owner has them in the phone list.
func logStartup(log *slog.Logger, o options, reg *phones.Registry, addr string) {
	log.Info("homemmsc: started", "version", version, "listen", addr, "data", o.data,
		"phones", reg.Len(), "open_endpoint", o.openEndpoint(reg), "max_size", o.maxSize,
		"lan", o.lanOpts.addr, "rate", o.lanOpts.rate, "rate_burst", o.lanOpts.burst,
		"allow", o.lanOpts.allow.Len(), "clock_synced", clock.Synced())
	base := "http://" + netaddr.WithHost(addr, "<this-host>") // phones outside the LAN need the router's address
	reg.LogMMSCURLs(log, base)
	if o.openEndpoint(reg) {
		log.Info("homemmsc: open endpoint on; turn it off (-open=off) once phones are paired",
			"url", base+"/mms?n=<your number>")
	}
}
