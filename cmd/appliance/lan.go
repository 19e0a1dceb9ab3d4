package main

// The LAN listener (-lan): /healthz, /metrics and the owner's inbox, on an
// address meant for the home network only. The internet-facing listener
// (-listen) serves nothing but the MMSC.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/homemmsc/homemmsc/internal/appmetrics"
	"github.com/homemmsc/homemmsc/internal/clock"
	"github.com/homemmsc/homemmsc/internal/deliver"
	"github.com/homemmsc/homemmsc/internal/display"
	"github.com/homemmsc/homemmsc/internal/guard"
	"github.com/homemmsc/homemmsc/internal/health"
	"github.com/homemmsc/homemmsc/internal/mmsc"
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

// mmscGuards are the internet-facing listener's protections (package guard).
type mmscGuards struct {
	rate       float64 // -rate: requests per second per client; 0 = no limit
	burst      int     // -rate-burst
	maxHeaders int     // header lines per request
	conns      guard.ConnConfig
}

// guardMMSC wraps the MMSC handler in the guards, counting refusals in m.
func guardMMSC(h http.Handler, g mmscGuards, m *appmetrics.Metrics) http.Handler {
	h = guard.MaxHeaders(g.maxHeaders, func(*http.Request) { m.Refused(appmetrics.ReasonHeaders) }, h)
	if g.rate > 0 {
		h = guard.NewRateLimiter(guard.RateConfig{
			Rate: g.rate, Burst: g.burst,
			OnLimited: func(*http.Request) { m.Refused(appmetrics.ReasonRateLimited) },
		}).Wrap(h)
	}
	return h
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
	guards  mmscGuards

	selftest http.Handler // POST /selftest on the LAN listener (deliver.go); nil = not mounted
	inbox    http.Handler // the owner's inbox on the LAN listener; nil: none
}

// newAppliance wraps the MMSC listener ln in its connection caps and
// builds the metrics and the health check.
func newAppliance(o options, st *store.Store, ln net.Listener, mr modemRun, start time.Time) *appliance {
	a := &appliance{display: &display.Watch{}, guards: o.lanOpts.guards()}
	a.metrics = appmetrics.New(appmetrics.Sources{
		Start: start, Version: version, Stats: st.Stats, Quota: o.quota, Synced: clock.Synced,
		Modem: mr.modem, Outbox: mr.outbox, Display: a.display,
		Conns: func() int { total, _ := a.mmscLn.Open(""); return total },
	})
	conns := a.guards.conns
	conns.OnRefused = func(string) { a.metrics.ConnRefused() }
	a.mmscLn = guard.LimitListener(ln, conns)
	a.health = health.New(health.Config{
		Stats: st.Stats, Quota: o.quota, Serving: a.serving.Load, Accept: a.mmscLn.LastAcceptError,
		Dir: o.data, Synced: clock.Synced,
	})
	return a
}

// servers are the MMSC server on the guarded listener and, with lan set,
// the LAN server.
func (a *appliance) servers(mmscHandler http.Handler, lan net.Listener, log *slog.Logger) []server {
	ss := []server{{name: "MMSC", srv: newServer(guardMMSC(mmscHandler, a.guards, a.metrics), log), ln: a.mmscLn, serving: &a.serving}}
	if lan != nil {
		h := newLANHandler(lanDeps{health: a.health, metrics: a.metrics.Registry, selftest: a.selftest, inbox: a.inbox})
		ss = append(ss, server{name: "LAN", srv: newServer(h, log), ln: lan})
		log.Info("homemmsc: LAN listener: /healthz, /metrics", "lan", lan.Addr().String())
	}
	return ss
}

// server is one listener and its HTTP server; serving is true while its
// Serve runs.
type server struct {
	name    string
	srv     *http.Server
	ln      net.Listener
	serving *atomic.Bool // may be nil
}

// runServers serves on every listener until ctx is done or one of them
// fails, then stops them all, waiting (up to shutdownTimeout in all) for
// the requests in flight to finish.
func runServers(ctx context.Context, log *slog.Logger, servers ...server) error {
	errc := make(chan error, len(servers))
	for _, s := range servers {
		if s.serving != nil {
			s.serving.Store(true)
		}
		go func() {
			err := s.srv.Serve(s.ln)
			if s.serving != nil {
				s.serving.Store(false)
			}
			errc <- fmt.Errorf("%s listener: %w", s.name, err)
		}()
	}
	var failed error
	select {
	case failed = <-errc:
	case <-ctx.Done():
		log.Info("homemmsc: shutting down, draining requests in flight")
	}
	return errors.Join(failed, shutdownAll(servers, log))
}

func shutdownAll(servers []server, log *slog.Logger) error {
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for _, s := range servers {
		wg.Go(func() {
			if err := s.srv.Shutdown(sctx); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("shutdown %s: %w", s.name, err))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	log.Info("homemmsc: stopped")
	return errors.Join(errs...)
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
	fs.IntVar(&l.perClient, "conns-per-client", guard.DefaultPerClient, "open connections per client address on -listen; more are closed at once (0 = no cap)")
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
	return loadSpec("allow", spec, mmsc.ParseAllowList, mmsc.ReadAllowList)
}

// allowFunc is mmsc.Config.Allow: nil (everyone) without a list.
func (l *lanOptions) allowFunc() func(string) bool {
	if l.allowSpec == "" {
		return nil
	}
	return l.allow.Allows
}

func (l *lanOptions) guards() mmscGuards {
	g := mmscGuards{rate: l.rate, burst: l.burst, maxHeaders: guard.DefaultMaxHeaders}
	g.conns.PerClient = l.perClient
	if l.perClient == 0 {
		g.conns.PerClient = guard.DefaultTotal // no cap of its own: the total applies
	}
	return g
}
