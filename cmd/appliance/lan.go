package main

// The LAN listener (-lan): /healthz, /metrics and the owner's inbox, on an
// address meant for the home network only. The internet-facing listener
// (-listen) serves nothing but the MMSC.

import (
	"flag"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/homemmsc/homemmsc/internal/appmetrics"
	"github.com/homemmsc/homemmsc/internal/clock"
	"github.com/homemmsc/homemmsc/internal/deliver"
	"github.com/homemmsc/homemmsc/internal/display"
	"github.com/homemmsc/homemmsc/internal/guard"
	"github.com/homemmsc/homemmsc/internal/health"
	"github.com/homemmsc/homemmsc/internal/httpserve"
	"github.com/homemmsc/homemmsc/internal/mmsc"
	"github.com/homemmsc/homemmsc/internal/outbox"
	"github.com/homemmsc/homemmsc/internal/store"
)

// appliance holds what the two listeners share: the metrics, the health
// check, and the guarded MMSC listener.
type appliance struct {
	metrics *appmetrics.Metrics
	display *display.Watch
	health  *health.Checker
	mmscLn  *guard.Listener
	serving atomic.Bool // the MMSC server runs
	guards  guard.Config
	// refusals counts the guards' and the MMSC's refusals and sums them
	// up in the log.
	refusals *appmetrics.Refusals
}

// newAppliance wraps the MMSC listener ln in its connection caps and
// builds the metrics and the health check.
func newAppliance(o options, st *store.Store, ln net.Listener, mr modemRun, box *outbox.Outbox, dlv *deliver.Deliverer, start time.Time, warnings func() []string, log *slog.Logger) *appliance {
	a := &appliance{display: &display.Watch{}}
	guards, conns := o.lanOpts.guards()
	a.guards = guards
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
	a.refusals = appmetrics.NewRefusals(a.metrics, guard.NewSummary(log, 0))
	a.mmscLn = guard.LimitListener(ln, a.refusals.Conns(conns))
	a.health = health.New(health.Config{
		Stats: st.Stats, Quota: o.quota, Serving: a.serving.Load, Accept: a.mmscLn.LastAcceptError,
		Dir: o.data, Synced: clock.Synced, Warnings: warnings,
	})
	return a
}

// servers are the MMSC server on the guarded listener and, with lan set,
// the LAN server with /healthz, /metrics and routes (lanRoutes).
func (a *appliance) servers(mmscHandler http.Handler, lan net.Listener, routes httpserve.LANRoutes, log *slog.Logger) []httpserve.Server {
	srv := httpserve.NewServer(guard.Wrap(mmscHandler, a.guards, a.refusals.Request), log)
	a.mmscLn.Hook(srv) // which connections wait for a request, to evict
	ss := []httpserve.Server{{Name: "MMSC", HTTP: srv, Listener: a.mmscLn, Serving: &a.serving}}
	if lan != nil {
		routes.Health, routes.Metrics, routes.Version = a.health, a.metrics.Registry, version
		ln, h := guard.LAN(lan, httpserve.LANHandler(routes), a.refusals.LAN)
		srv := httpserve.NewServer(h, log)
		ln.Hook(srv)
		ss = append(ss, httpserve.Server{Name: "LAN", HTTP: srv, Listener: ln})
		log.Info("homemmsc: LAN listener: /healthz, /metrics", "lan", lan.Addr().String())
	}
	return ss
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
func (l *lanOptions) load() (err error) {
	if _, _, err = guard.Limits(l.rate, l.burst, l.perClient); err != nil {
		return err
	}
	l.allow, err = mmsc.LoadAllowList(l.allowSpec)
	return err
}

// allowFunc is mmsc.Config.Allow: nil (everyone) without a list.
func (l *lanOptions) allowFunc() func(string) bool {
	if l.allowSpec == "" {
		return nil
	}
	return l.allow.Allows
}

// guards are the MMSC listener's request guards and connection caps
// (checked by load).
func (l *lanOptions) guards() (guard.Config, guard.ConnConfig) {
	g, conns, _ := guard.Limits(l.rate, l.burst, l.perClient)
	return g, conns
}
