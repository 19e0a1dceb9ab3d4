package main

// The LAN listener (-lan): /healthz, /metrics and the owner's inbox, on an
// address meant for the home network only. The internet-facing listener
// (-listen) serves nothing but the MMSC.

import (
	"flag"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/homemmsc/homemmsc/internal/appmetrics"
	"github.com/homemmsc/homemmsc/internal/clock"
	"github.com/homemmsc/homemmsc/internal/deliver"
	"github.com/homemmsc/homemmsc/internal/display"
	"github.com/homemmsc/homemmsc/internal/flagvalue"
	"github.com/homemmsc/homemmsc/internal/guard"
	"github.com/homemmsc/homemmsc/internal/health"
	"github.com/homemmsc/homemmsc/internal/httpserve"
	"github.com/homemmsc/homemmsc/internal/mmsc"
	"github.com/homemmsc/homemmsc/internal/outbox"
	"github.com/homemmsc/homemmsc/internal/store"
)

// lanDeps is what the LAN listener serves.
type lanDeps struct {
	health  http.Handler // /healthz
	metrics http.Handler // /metrics
	inbox   http.Handler // everything else; if nil, "/" is a short index

	selftest http.Handler // /selftest (deliver.go); if nil, not mounted
}

// newLANHandler routes the LAN listener.
func newLANHandler(d lanDeps) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/healthz", d.health)
	mux.Handle("/metrics", d.metrics)
	if d.selftest != nil {
		mux.Handle(deliver.SelfTestPath, d.selftest)
	}
	if d.inbox != nil {
		mux.Handle("/", d.inbox)
	} else {
		mux.HandleFunc("/", lanIndex)
	}
	return mux
}

// lanIndex is "/" when no inbox is built in.
func lanIndex(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	fmt.Fprint(w, "homemmsc "+version+" (LAN listener)\n\n"+
		"/healthz  200 when the store is writable and the MMSC listener serves, else 503 and why\n"+
		"/metrics  Prometheus text format\n"+
		"/selftest POST ?phone=NAME: does the phone fetch a test MMS from this MMSC? (needs -public-url and a modem)\n")
}

// listen opens the MMSC listener and, if lanAddr is set, the LAN one.
func listen(addr, lanAddr string) (ln, lan net.Listener, err error) {
	if ln, err = net.Listen("tcp", addr); err != nil {
		return nil, nil, fmt.Errorf("-listen: %w", err)
	}
	if lanAddr == "" {
		return ln, nil, nil
	}
	if lan, err = net.Listen("tcp", lanAddr); err != nil {
		ln.Close()
		return nil, nil, fmt.Errorf("-lan: %w", err)
	}
	return ln, lan, nil
}

// appliance holds what the two listeners share: the metrics, the health
// check, and the guarded MMSC listener.
type appliance struct {
	metrics *appmetrics.Metrics
	display *display.Watch
	health  *health.Checker
	mmscLn  *guard.Listener
	serving atomic.Bool // the MMSC server runs
	guards  guard.Config
	conns   guard.ConnConfig
	// refusals sums up the guards' and the MMSC's refusals in the log.
	refusals *guard.Summary
}

// newAppliance wraps the MMSC listener ln in its connection caps and
// builds the metrics and the health check.
func newAppliance(o options, st *store.Store, ln net.Listener, mr modemRun, box *outbox.Outbox, dlv *deliver.Deliverer, start time.Time, warnings func() []string, log *slog.Logger) *appliance {
	a := &appliance{display: &display.Watch{}, refusals: guard.NewSummary(log, 0)}
	a.guards, a.conns = o.lanOpts.guards()
	var delivery func() deliver.Stats
	if dlv != nil {
		delivery = dlv.Stats
	}
	a.metrics = appmetrics.New(appmetrics.Sources{
		Start: start, Version: version, Stats: st.Stats, Quota: o.quota, Synced: clock.Synced,
		Modem: mr.modem, Outbox: mr.outbox, Box: box, Display: a.display,
		Conns:      func() int { total, _ := a.mmscLn.Open(""); return total },
		Delivery:   delivery,
		LogDropped: o.logDropped,
	})
	conns := a.conns
	conns.OnRefused = func(c string) { a.metrics.ConnRefused(); a.refusals.Note(guard.ReasonConnCap, c) }
	conns.OnEvicted = func(c string) { a.metrics.ConnEvicted(); a.refusals.Note(guard.ReasonEvicted, c) }
	conns.OnTooLarge = func(c string) {
		a.metrics.Refused(guard.ReasonHeaderBytes)
		a.refusals.Note(guard.ReasonHeaderBytes, c)
	}
	a.mmscLn = guard.LimitListener(ln, conns)
	a.health = health.New(health.Config{
		Stats: st.Stats, Quota: o.quota, Serving: a.serving.Load, Accept: a.mmscLn.LastAcceptError,
		Dir: o.data, Synced: clock.Synced, Warnings: warnings,
	})
	return a
}

// servers are the MMSC server on the guarded listener and, with lan set,
// the LAN server with /healthz, /metrics and routes (lanRoutes).
func (a *appliance) servers(mmscHandler http.Handler, lan net.Listener, routes lanDeps, log *slog.Logger) []httpserve.Server {
	srv := httpserve.NewServer(guard.Wrap(mmscHandler, a.guards, a.noteRefused), log)
	a.mmscLn.Hook(srv) // which connections wait for a request, to evict
	ss := []httpserve.Server{{Name: "MMSC", HTTP: srv, Listener: a.mmscLn, Serving: &a.serving}}
	if lan != nil {
		routes.health, routes.metrics = a.health, a.metrics.Registry
		ln, h := guardLAN(lan, newLANHandler(routes), a.noteLAN)
		srv := httpserve.NewServer(h, log)
		ln.Hook(srv)
		ss = append(ss, httpserve.Server{Name: "LAN", HTTP: srv, Listener: ln})
		log.Info("homemmsc: LAN listener: /healthz, /metrics", "lan", lan.Addr().String())
	}
	return ss
}

// noteRefused counts a request the guards refused (guard.Wrap's refused)
// and sums it up in the log.
func (a *appliance) noteRefused(reason string, r *http.Request) {
	a.metrics.Refused(reason)
	a.refusals.Note(reason, guard.ClientKey(r.RemoteAddr))
}

// noteMMSCRefused is mmsc.Config.OnRefused: it sums the refusal up in the
// log; mmsc counts it through OnResult.
func (a *appliance) noteMMSCRefused(result string, r *http.Request) {
	a.refusals.Note(result, guard.ClientKey(r.RemoteAddr))
}

// The LAN listener's guards: a household's browsers and a Prometheus,
// with room; its header limits and timeouts are the MMSC listener's
// (internal/httpserve).
const (
	lanPerClient = 16
	lanTotal     = 64
)

// guardLAN caps the LAN listener's connections and header lines,
// passing each refusal's reason and client to note.
func guardLAN(ln net.Listener, h http.Handler, note func(reason, client string)) (*guard.Listener, http.Handler) {
	gl := guard.LimitListener(ln, guard.ConnConfig{
		PerClient: lanPerClient, Total: lanTotal,
		OnRefused:  func(c string) { note(guard.ReasonConnCap, c) },
		OnEvicted:  func(c string) { note(guard.ReasonEvicted, c) },
		OnTooLarge: func(c string) { note(guard.ReasonHeaderBytes, c) },
	})
	h = guard.Wrap(h, guard.Config{}, func(reason string, r *http.Request) { note(reason, guard.ClientKey(r.RemoteAddr)) })
	return gl, h
}

// noteLAN counts a refusal of the LAN listener's guards and sums it up in
// the log as "lan_…".
func (a *appliance) noteLAN(reason, client string) {
	a.metrics.LANRefused(reason)
	a.refusals.Note("lan_"+reason, client)
}

// lanOptions are the -lan flag and the MMSC listener's protections.
type lanOptions struct {
	addr      string  // -lan; "" = no LAN listener
	rate      float64 // -rate
	burst     int     // -rate-burst
	perClient int     // -conns-per-client
	allowSpec string  // -allow
	allow     mmsc.AllowList
}

// Defaults of the protections, sized for a home: a phone posts one
// request per MMS, a family's burst of photos stays under 20.
const (
	defaultRate      = 2
	defaultRateBurst = 20
)

// register declares the flags on fs.
func (l *lanOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&l.addr, "lan", "", "LAN listener for /healthz, /metrics and the inbox, e.g. 192.168.1.50:8081 (never port-forward it; empty = off)")
	fs.Float64Var(&l.rate, "rate", defaultRate, "requests per second per client address on -listen (0 = no limit)")
	fs.IntVar(&l.burst, "rate-burst", defaultRateBurst, "requests a client may make at once on -listen before -rate applies")
	fs.IntVar(&l.perClient, "conns-per-client", guard.DefaultPerClient, "open connections per client address on -listen; more are refused at once (0 = no cap)")
	fs.StringVar(&l.allowSpec, "allow", "", "only accept MMS from these sender numbers when not sent with a phone token: +number,... or @/path/to/file (empty = anyone)")
}

// load checks the values and reads the allow-list.
func (l *lanOptions) load() error {
	if l.rate < 0 || math.IsNaN(l.rate) || math.IsInf(l.rate, 0) {
		return fmt.Errorf("-rate %v: want 0 or a positive number", l.rate)
	}
	if l.burst < 1 {
		return fmt.Errorf("-rate-burst %d: want at least 1", l.burst)
	}
	if l.perClient < 0 {
		return fmt.Errorf("-conns-per-client %d: want 0 or more", l.perClient)
	}
	var err error
	l.allow, err = loadAllow(l.allowSpec)
	return err
}

// loadAllow reads the -allow value: inline numbers, or @file.
func loadAllow(spec string) (mmsc.AllowList, error) {
	return flagvalue.Load("allow", spec, mmsc.ParseAllowList, mmsc.ReadAllowList)
}

// allowFunc is mmsc.Config.Allow: nil (everyone) without a list.
func (l *lanOptions) allowFunc() func(string) bool {
	if l.allowSpec == "" {
		return nil
	}
	return l.allow.Allows
}

// guards are the MMSC listener's request guards and connection caps.
func (l *lanOptions) guards() (guard.Config, guard.ConnConfig) {
	conns := guard.ConnConfig{PerClient: l.perClient}
	if l.perClient == 0 {
		conns.PerClient = guard.DefaultTotal // no cap of its own: the total applies
	}
	return guard.Config{Rate: l.rate, Burst: l.burst}, conns
}
