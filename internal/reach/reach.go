package reach

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/homemmsc/homemmsc/internal/dyndns"
	"github.com/homemmsc/homemmsc/internal/portmap"
)

// Defaults of Config.
const (
	DefaultSelfTestEvery = time.Hour        // least time between two automatic self-tests
	DefaultSettle        = 2 * time.Minute  // quiet time after a change before the self-test, with a DNS name: caches catch up
	settleNoDNS          = 10 * time.Second // without one: the router's answer is all there is to wait for
)

// Config configures a Reach. With every field zero it only reports
// PublicURL.
type Config struct {
	Portmap   *portmap.Config // nil: no port mapping (the owner forwards the port by hand)
	DNS       *dyndns.Config  // nil: no dynamic DNS name; needs Portmap (the address comes from the router)
	PublicURL string          // -public-url: wins over what the mapping finds
	// SelfTest runs the reachability self-test on the phones that allow
	// it; false when it could not run (delivery is off). Nil: no
	// automatic self-test.
	SelfTest      func(ctx context.Context) (Check, bool)
	SelfTestEvery time.Duration // if zero, DefaultSelfTestEvery
	Settle        time.Duration // if zero, DefaultSettle with DNS, else 10 s
	// OnPublicURL, if set, is called when the public URL found changes
	// (never when PublicURL is set).
	OnPublicURL func(string)
	IPv6        func() (netip.Addr, error) // this host's global IPv6 address; if nil, portmap.GlobalIPv6
	// OutsideCheck, if set, says which address the internet sees this
	// home's requests come from (OutsideAddr): asked after each change
	// of the router's address, a second opinion on double NAT.
	OutsideCheck func(context.Context) (netip.Addr, error)
	Logger       *slog.Logger
	Now          func() time.Time
}

// Check is the outcome of an automatic self-test.
type Check struct {
	Time      time.Time
	Reachable bool   // a phone fetched the test message
	Text      string // what happened, for the owner
}

// Reach runs the port mapping, the dynamic DNS updater and the
// self-tests after each change.
type Reach struct {
	cfg     Config
	log     *slog.Logger
	mapper  *portmap.Mapper
	dns     *dyndns.Updater
	changed chan struct{}
	recheck chan struct{} // the router's address changed: ask OutsideCheck

	mu         sync.Mutex
	check      Check
	url        string     // the public URL found
	external   netip.Addr // the router's address the outside check was last asked for
	outside    netip.Addr // what OutsideCheck saw
	outsideErr string
}

// ErrDNSNeedsPortmap is returned by New for a DNS updater without port
// mapping: the router's answer is where the address comes from.
var ErrDNSNeedsPortmap = errors.New("reach: dynamic DNS needs port mapping: the address comes from the router")

// New returns a Reach for cfg; Run starts it.
func New(cfg Config) (*Reach, error) {
	if cfg.DNS != nil && cfg.Portmap == nil {
		return nil, ErrDNSNeedsPortmap
	}
	setDefaults(&cfg)
	r := &Reach{cfg: cfg, log: cfg.Logger, changed: make(chan struct{}, 1), recheck: make(chan struct{}, 1)}
	if cfg.DNS != nil {
		dc := *cfg.DNS
		dc.OnChange = r.dnsChanged
		var err error
		if r.dns, err = dyndns.New(dc); err != nil {
			return nil, err
		}
	}
	if cfg.Portmap != nil {
		pc := *cfg.Portmap
		pc.OnChange = r.mapped
		var err error
		if r.mapper, err = portmap.New(pc); err != nil {
			return nil, err
		}
	}
	r.url = r.findURL(portmap.Status{})
	return r, nil
}

func setDefaults(cfg *Config) {
	if cfg.SelfTestEvery == 0 {
		cfg.SelfTestEvery = DefaultSelfTestEvery
	}
	if cfg.Settle == 0 {
		cfg.Settle = settleNoDNS
		if cfg.DNS != nil {
			cfg.Settle = DefaultSettle
		}
	}
	if cfg.IPv6 == nil {
		cfg.IPv6 = portmap.GlobalIPv6
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
}

// Start runs r until ctx is done, in the background; stop ends it and
// waits for it to remove the port mapping. A nil r (everything off) does
// nothing.
func (r *Reach) Start(ctx context.Context) (stop func()) {
	if r == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	return func() { cancel(); <-done }
}

// Run runs until ctx is done; it returns once the mapping is removed.
func (r *Reach) Run(ctx context.Context) {
	var wg sync.WaitGroup
	if r.mapper != nil {
		wg.Go(func() { r.mapper.Run(ctx) })
	}
	if r.dns != nil {
		wg.Go(func() { r.dns.Run(ctx) })
	}
	if r.cfg.SelfTest != nil {
		wg.Go(func() { r.selfTests(ctx) })
	}
	if r.cfg.OutsideCheck != nil {
		wg.Go(func() { r.outsideChecks(ctx) })
	}
	wg.Wait()
}

// mapped follows the mapping: the DNS name gets the new addresses, the
// public URL is worked out again, and a change calls for a self-test.
func (r *Reach) mapped(s portmap.Status) {
	if r.dns != nil {
		v4, _ := s.PublicAddr()
		r.dns.Set(v4.Addr(), s.Pinhole.Addr())
	}
	url := r.findURL(s)
	r.mu.Lock()
	old := r.url
	r.url = url
	newAddr := s.State == portmap.Mapped && s.External != r.external
	if newAddr {
		r.external = s.External
	}
	r.mu.Unlock()
	if newAddr {
		kick(r.recheck)
	}
	if url != old && r.cfg.OnPublicURL != nil && r.cfg.PublicURL == "" {
		r.cfg.OnPublicURL(url)
	}
	if s.State == portmap.Mapped {
		r.poke()
	}
}

// dnsChanged calls for a self-test once the name has the new address.
func (r *Reach) dnsChanged(s dyndns.Status) {
	if s.State == dyndns.Current {
		r.poke()
	}
}

func (r *Reach) poke() { kick(r.changed) }

// kick wakes the reader of c, once however often it is kicked.
func kick(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// findURL is the URL phones reach the MMSC at: -public-url; else the
// DNS name, else the router's public address, at the mapped port; ""
// when there is none.
func (r *Reach) findURL(s portmap.Status) string {
	if r.cfg.PublicURL != "" {
		return r.cfg.PublicURL
	}
	if r.cfg.Portmap == nil {
		return ""
	}
	port := s.ExternalPort
	if port == 0 {
		port = cmp(r.cfg.Portmap.ExternalPort, r.cfg.Portmap.Port)
	}
	if r.dns != nil {
		return httpURL(r.dns.Status().Name, port)
	}
	if ap, ok := s.PublicAddr(); ok {
		return httpURL(ap.Addr().String(), ap.Port())
	}
	return ""
}

// cmp is a, or b when a is zero.
func cmp(a, b uint16) uint16 {
	if a != 0 {
		return a
	}
	return b
}

// httpURL is http://host:port, without the port when it is 80.
func httpURL(host string, port uint16) string {
	if port == 80 {
		return "http://" + host
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(int(port)))
}

// selfTests runs the self-test Settle after the last change, at most
// once per SelfTestEvery.
func (r *Reach) selfTests(ctx context.Context) {
	var due <-chan time.Time
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.changed:
			due = time.After(r.cfg.Settle) // a change restarts the quiet time
			continue
		case <-due:
		}
		if wait := last.Add(r.cfg.SelfTestEvery).Sub(r.cfg.Now()); !last.IsZero() && wait > 0 {
			due = time.After(wait)
			continue
		}
		due, last = nil, r.cfg.Now()
		c, ran := r.cfg.SelfTest(ctx)
		if ctx.Err() != nil || !ran {
			continue
		}
		c.Time = r.cfg.Now()
		r.mu.Lock()
		r.check = c
		r.mu.Unlock()
		if c.Reachable {
			r.log.Info("reach: self-test passed", "result", c.Text)
		} else {
			r.log.Warn("reach: self-test failed: phones may not reach this MMSC", "result", c.Text)
		}
	}
}

// Status is what the Reach knows now.
func (r *Reach) Status() Status {
	s := Status{PublicURL: r.PublicURL(), Fixed: r.cfg.PublicURL != "", SelfTests: r.cfg.SelfTest != nil}
	if r.mapper != nil {
		m := r.mapper.Status()
		s.Mapping = &m
	}
	if r.dns != nil {
		d := r.dns.Status()
		s.DNS = &d
	}
	s.IPv6, _ = r.cfg.IPv6()
	r.mu.Lock()
	s.Check, s.Outside, s.OutsideErr = r.check, r.outside, r.outsideErr
	s.OutsideCheck = r.cfg.OutsideCheck != nil
	r.mu.Unlock()
	return s
}

// PublicURL is the URL phones reach the MMSC at, "" if unknown.
func (r *Reach) PublicURL() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.url
}

// StatusFunc is r.Status for the status page, nil when r is (all off).
func StatusFunc(r *Reach) func() Status {
	if r == nil {
		return nil
	}
	return r.Status
}

// Warnings lists what keeps phones out, for /healthz; nil when r is.
func Warnings(r *Reach) func() []string {
	if r == nil {
		return nil
	}
	return func() []string { return r.Status().Problems() }
}
