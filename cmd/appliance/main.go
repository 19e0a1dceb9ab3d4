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
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/homemmsc/homemmsc/internal/clock"
	"github.com/homemmsc/homemmsc/internal/deliver"
	"github.com/homemmsc/homemmsc/internal/display"
	"github.com/homemmsc/homemmsc/internal/inbox"
	"github.com/homemmsc/homemmsc/internal/logring"
	"github.com/homemmsc/homemmsc/internal/mmsc"
	"github.com/homemmsc/homemmsc/internal/phones"
	"github.com/homemmsc/homemmsc/internal/store"
	"github.com/homemmsc/homemmsc/internal/watchdog"
)

// version is stamped at build time: -ldflags "-X main.version=...".
var version = "dev"

// envPrefix starts the environment variable of every flag.
const envPrefix = "HOMEMMSC_"

// HTTP server limits. A phone on a slow GPRS/EDGE uplink may need minutes
// to post a MMS of a few hundred KB, so the body timeout is generous; the
// header timeout is short against slowloris.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 5 * time.Minute
	writeTimeout      = readTimeout + 30*time.Second // counts from the end of the headers
	idleTimeout       = 60 * time.Second
	maxHeaderBytes    = 16 << 10
	shutdownTimeout   = 30 * time.Second
)

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
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: o.logLevel}))
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
	showVersion bool
	getenv      func(string) string // for systemd's NOTIFY_SOCKET and WATCHDOG_* (internal/watchdog)
}

// parseOptions declares the flags, applies the environment as defaults,
// parses args and loads the phone list.
func parseOptions(args []string, getenv func(string) string, out io.Writer) (options, error) {
	o := options{maxSize: mmsc.DefaultMaxSize, open: "auto", getenv: getenv}
	fs := flag.NewFlagSet("homemmsc", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8080", "MMSC listener address (phones POST here; port-forward it)")
	fs.StringVar(&o.data, "data", defaultDataDir(getenv), "message store directory")
	fs.Var(sizeValue{&o.maxSize, 1 << 10, mmsc.MaxMaxSize}, "max-size", "largest MMS accepted, e.g. 300K, 2M (at most 5M)")
	fs.Var(sizeValue{&o.quota, 0, 1 << 40}, "quota", "most bytes the store keeps, e.g. 500M, 2G; 0 = no quota (free-space floor only)")
	fs.StringVar(&o.phonesSpec, "phones", "", "paired phones: name:number:token,... or @/path/to/file")
	fs.Var(enumValue{&o.open, []string{"auto", "on", "off"}}, "open", "open endpoint /mms?n=: auto (on while no phone is paired), on, off")
	fs.TextVar(&o.logLevel, "log-level", slog.LevelInfo, "debug, info, warn or error")
	fs.StringVar(&o.display, "display", "none", "status display: i2c (ssd1306), sh1106, png:PATH or none")
	o.displayOpts.register(fs)
	fs.StringVar(&o.modem, "modem", "", "GSM modem for SMS notifications: serial port (best /dev/serial/by-id/...), auto, or none (empty = none)")
	fs.StringVar(&o.owner, "owner", "", "owner's phone number(s), comma-separated, texted when an MMS arrives")
	o.modemOpts.register(fs)
	o.lanOpts.register(fs)
	o.deliverOpts.register(fs)
	o.inboxOpts.register(fs)
	fs.BoolVar(&o.showVersion, "version", false, "print the version and exit")
	if err := applyEnv(fs, getenv); err != nil {
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
	if _, err := parseOwners(o.owner); err != nil {
		return o, err
	}
	if err := o.lanOpts.load(); err != nil {
		return o, err
	}
	var err error
	o.phones, err = loadPhones(o.phonesSpec)
	return o, err
}

// envName is the environment variable of a flag: "max-size" → HOMEMMSC_MAX_SIZE.
func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// oneShot are the flags that make the process do one thing and exit:
// they have no environment variable, or a stray line in systemd's
// EnvironmentFile would turn the service into that one-shot command.
func oneShot(flagName string) bool {
	switch flagName {
	case "version", "modem-test", "modem-test-text", "self-test", "self-test-wait":
		return true
	}
	return false
}

// applyEnv sets each flag from its environment variable, as its default:
// flags parsed afterwards override it. The one-shot flags have no variable.
func applyEnv(fs *flag.FlagSet, getenv func(string) string) error {
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		v := getenv(envName(f.Name))
		if oneShot(f.Name) || v == "" {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", envName(f.Name), v, err))
			return
		}
		f.DefValue = v
	})
	return errors.Join(errs...)
}

// defaultDataDir is systemd's StateDirectory= when it set one (the first,
// if several), else ./mmsc-data.
func defaultDataDir(getenv func(string) string) string {
	if d, _, _ := strings.Cut(getenv("STATE_DIRECTORY"), ":"); d != "" {
		return d
	}
	return "mmsc-data"
}

// loadPhones reads the -phones value: inline entries, or @file.
func loadPhones(spec string) ([]phones.Phone, error) {
	return loadSpec("phones", spec, phones.ParsePhones, phones.ReadPhones)
}

// loadSpec reads a list setting given inline or as @file: parse reads the
// inline form, read the file. Errors name the flag (and the file).
func loadSpec[T any](flagName, spec string, parse func(string) (T, error), read func(io.Reader) (T, error)) (T, error) {
	path, isFile := strings.CutPrefix(spec, "@")
	if !isFile {
		v, err := parse(spec)
		if err != nil {
			return v, fmt.Errorf("-%s: %w", flagName, err)
		}
		return v, nil
	}
	var zero T
	f, err := os.Open(path)
	if err != nil {
		return zero, fmt.Errorf("-%s: %w", flagName, err)
	}
	defer f.Close()
	v, err := read(f)
	if err != nil {
		return zero, fmt.Errorf("-%s %s: %w", flagName, path, err)
	}
	return v, nil
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

// sizeValue is a byte count flag: "1048576", "300K", "2M", "1G" (binary
// multiples; "KiB"/"MiB"/"GiB" and "KB"/"MB"/"GB" are read the same).
type sizeValue struct {
	p        *int64
	min, max int64
}

func (v sizeValue) String() string {
	if v.p == nil {
		return ""
	}
	return formatSize(*v.p)
}

func (v sizeValue) Set(s string) error {
	n, err := parseSize(s)
	if err != nil {
		return err
	}
	if n < v.min || n > v.max {
		return fmt.Errorf("%s out of range %s–%s", s, formatSize(v.min), formatSize(v.max))
	}
	*v.p = n
	return nil
}

func parseSize(s string) (int64, error) {
	t, mult := splitUnit(strings.ToUpper(strings.TrimSpace(s)))
	n, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("invalid size %q: want bytes or a number with K, M or G", s)
	}
	return n * mult, nil
}

// splitUnit cuts a K, M or G suffix (also KB/KiB…) off an upper-case size.
func splitUnit(t string) (string, int64) {
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}} {
		for _, form := range []string{u.suffix + "IB", u.suffix + "B", u.suffix} {
			if rest, ok := strings.CutSuffix(t, form); ok {
				return rest, u.mult
			}
		}
	}
	return t, 1
}

func formatSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + "G"
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "M"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + "K"
	}
	return strconv.FormatInt(n, 10)
}

// enumValue is a string flag limited to a few words.
type enumValue struct {
	p     *string
	words []string
}

func (v enumValue) String() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}

func (v enumValue) Set(s string) error {
	for _, w := range v.words {
		if strings.EqualFold(s, w) {
			*v.p = w
			return nil
		}
	}
	return fmt.Errorf("want one of %s", strings.Join(v.words, ", "))
}

// serve opens the store, serves the MMSC (and the LAN listener, with
// -lan) until ctx is done, then drains the requests in flight and closes
// the store.
func serve(ctx context.Context, o options, log *slog.Logger) error {
	start := time.Now()
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
	ln, lanLn, err := listen(o.listen, o.lanOpts.addr)
	if err != nil {
		return err
	}
	o.modemOpts.unpaired = unpairedFunc(o.deliverOpts, reg)
	mr := startModem(ctx, o.modem, o.owner, o.modemOpts, o.data, st, log)
	defer mr.stop()
	dlv, stopDelivery := startDelivery(ctx, o.deliverOpts, o.data, st, reg, mr, log)
	defer stopDelivery()
	a := newAppliance(o, st, ln, mr, start)
	a.selftest = deliver.SelfTestHandler(dlv, reg, o.deliverOpts.selfTestWait)
	stopInbox, err := startInbox(o, lanLn, inboxDeps{store: st, phones: reg, listen: ln.Addr().String(), publicURL: o.deliverOpts.publicURL,
		selfTest: inboxSelfTest(dlv, o.deliverOpts.selfTestWait), selfTestOff: deliveryOff(o.deliverOpts, mr, dlv),
		status: inbox.ApplianceStatus{ClockSynced: clock.Synced, Modem: mr.modem, Outbox: mr.outbox, Display: a.display.State, Errors: lastErrors.Last}.Rows}, a, log)
	if err != nil {
		return err
	}
	defer stopInbox()
	h := mmsc.NewHandler(withDelivery(mmsc.Config{
		Store: st, Phones: reg, Open: o.open == "on", OpenUnpaired: o.open == "auto",
		MaxSize: o.maxSize, Logger: log,
		OnResult: a.metrics.OnResult, Allow: o.lanOpts.allowFunc(),
	}, dlv))
	logStartup(log, o, reg, ln.Addr().String())
	stopDisplay := startDisplay(ctx, o.display, o.displayOpts, displayDeps{watch: a.display,
		source: display.SourceConfig{Store: st, Quota: o.quota, Listen: ln.Addr().String(), Modem: mr.status}}, log)
	defer stopDisplay()
	go clock.Watch(ctx, clock.Synced, time.Tick(clock.Poll), log)
	stopService := watchdog.Start(ctx, watchdog.Config{Getenv: o.getenv, Stats: st.Stats, Dir: o.data,
		Listen: ln.Addr().String(), Probe: loopbackAddr(ln.Addr().String()), Logger: log})
	defer stopService()
	return runServers(ctx, log, a.servers(h, lanLn, log)...)
}

// runServer serves on ln until ctx is done, then stops accepting and
// waits (up to shutdownTimeout) for the requests in flight to finish.
func runServer(ctx context.Context, srv *http.Server, ln net.Listener, log *slog.Logger) error {
	return runServers(ctx, log, server{name: "MMSC", srv: srv, ln: ln})
}

func newServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// logStartup says what runs and what to put in a phone's MMSC setting.
// Tokens are shortened: the owner has them in the phone list.
func logStartup(log *slog.Logger, o options, reg *phones.Registry, addr string) {
	log.Info("homemmsc: started", "version", version, "listen", addr, "data", o.data,
		"phones", reg.Len(), "open_endpoint", o.openEndpoint(reg), "max_size", o.maxSize,
		"lan", o.lanOpts.addr, "rate", o.lanOpts.rate, "rate_burst", o.lanOpts.burst,
		"allow", o.lanOpts.allow.Len(), "clock_synced", clock.Synced())
	base := "http://" + publicHost(addr)
	for _, p := range reg.List() {
		log.Info("homemmsc: MMSC URL for phone", "name", p.Name, "number", p.Number,
			"url", base+"/mms/"+p.Token[:4]+"…(its token)")
	}
	if o.openEndpoint(reg) {
		log.Info("homemmsc: open endpoint on; turn it off (-open=off) once phones are paired",
			"url", base+"/mms?n=<your number>")
	}
}

// publicHost shows where a phone should post: the listen address, with a
// placeholder for a wildcard host. Phones outside the LAN need the
// router's public address and port forward instead.
func publicHost(addr string) string { return withHost(addr, "<this-host>") }

// loopbackAddr is where the process reaches its own listener: a wildcard
// host becomes 127.0.0.1 (Go's wildcard listeners are dual-stack).
func loopbackAddr(addr string) string { return withHost(addr, "127.0.0.1") }

// withHost puts host in place of a listen address's wildcard host ("",
// 0.0.0.0 or ::); any other address is returned as it is.
func withHost(addr, host string) string {
	h, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(h); h == "" || ip != nil && ip.IsUnspecified() {
		h = host
	}
	return net.JoinHostPort(h, port)
}
