package portmap

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Protocols a Mapper may use.
const (
	Auto   = "auto"   // UPnP IGD first, then NAT-PMP
	UPnP   = "upnp"   // UPnP IGD v2 or v1 only
	NATPMP = "natpmp" // NAT-PMP only (PCP routers answer it too)
)

// Defaults of Config.
const (
	DefaultLease       = time.Hour
	DefaultDescription = "homemmsc MMSC"
	minLease           = 2 * time.Second
	maxUPnPLease       = 604800 * time.Second // IGD:2 WANIPConnection:2, PortMappingLeaseDuration
	maxPinholeLease    = 86400 * time.Second  // WANIPv6FirewallControl:1, LeaseTime
	callTimeout        = 10 * time.Second     // one exchange with the router
	removeTimeout      = 5 * time.Second      // removing the mappings at shutdown
	firstRetry         = 30 * time.Second
	renewRetry         = 5 * time.Second // after a failed renewal
	lastRetry          = 15 * time.Minute
	// renewEvery caps the time between two requests: each also reads
	// the external address, so a new one is noticed (and the DNS name
	// follows) within 5 minutes even with a long lease.
	renewEvery = 5 * time.Minute
)

// Config configures a Mapper. Port is required; the zero value of every
// other field works.
type Config struct {
	Port         uint16        // the MMSC listener's TCP port on this host
	ExternalPort uint16        // the port asked for on the router; if zero, Port
	Protocol     string        // Auto, UPnP or NATPMP; if empty, Auto
	Lease        time.Duration // asked for, renewed at half; if zero, DefaultLease
	Description  string        // shown in the router's list; if empty, DefaultDescription
	IPv6         bool          // also open an IPv6 firewall pinhole for Port (IGD:2)
	Logger       *slog.Logger  // if nil, slog.Default()
	Now          func() time.Time
	// OnChange, if set, is called with the new status after every
	// change of address, mapping or error, from Run's goroutine.
	OnChange func(Status)
}

// Status is what a Mapper knows now.
type Status struct {
	State        State
	Method       string         // e.g. "UPnP IGD:2 WANIPConnection:2", "NAT-PMP"
	Router       netip.Addr     // the router that answered
	External     netip.Addr     // the router's external address; invalid if it reported none
	ExternalPort uint16         // the mapped port on the router
	Internal     netip.AddrPort // where the router forwards to: this host's LAN address and Port
	NAT          NAT            // what External means for phones on the internet
	Since        time.Time      // when the mapping (or the failure) began
	Renewed      time.Time      // the last grant or renewal
	Expires      time.Time      // when the router drops the mapping unless renewed
	Pinhole      netip.AddrPort // the IPv6 address and port opened in the router's firewall
	PinholeNote  string         // why there is no pinhole, when IPv6 was asked for
	Err          string         // the last failure, while State is Failed
}

// State is where a Mapper is.
type State int

const (
	Starting State = iota // the first request is under way
	Mapped                // the router forwards the port
	Failed                // no router forwards it; Err says why, retried with back-off
	Removed               // the mapping was removed at shutdown
)

func (s State) String() string {
	return [...]string{"starting", "mapped", "failed", "removed"}[s]
}

// PublicAddr is where phones on the internet reach the mapping over
// IPv4, when the router has a public address and forwards the port.
func (s Status) PublicAddr() (netip.AddrPort, bool) {
	if s.State != Mapped || s.NAT != NATPublic {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(s.External, s.ExternalPort), true
}

// Problem is the status's trouble for the owner in plain words: the NAT
// advice, else the failure; empty when phones can reach the mapping.
func (s Status) Problem() string {
	if a := s.NAT.Advice(s.External); a != "" {
		return a
	}
	if s.State == Failed {
		return "The router did not open the MMSC port (" + s.Err + "). Turn on UPnP or NAT-PMP in the router, or forward the port by hand."
	}
	return ""
}

// A Mapper keeps a port mapping open on the router for as long as Run
// runs, and removes it when Run returns.
type Mapper struct {
	cfg Config
	log *slog.Logger

	mu sync.Mutex
	st Status
}

// New returns a Mapper for cfg; Run starts it.
func New(cfg Config) (*Mapper, error) {
	if cfg.Port == 0 {
		return nil, errors.New("portmap: no port")
	}
	switch cfg.Protocol {
	case "":
		cfg.Protocol = Auto
	case Auto, UPnP, NATPMP:
	default:
		return nil, fmt.Errorf("portmap: unknown protocol %q", cfg.Protocol)
	}
	if cfg.ExternalPort == 0 {
		cfg.ExternalPort = cfg.Port
	}
	if cfg.Lease == 0 {
		cfg.Lease = DefaultLease
	}
	cfg.Lease = min(max(cfg.Lease, minLease), maxUPnPLease)
	if cfg.Description == "" {
		cfg.Description = DefaultDescription
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Mapper{cfg: cfg, log: cfg.Logger}, nil
}

// Status is the mapping's state now.
func (m *Mapper) Status() Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.st
}

// setStatus records s and tells OnChange when it differs in more than
// the renewal times.
func (m *Mapper) setStatus(s Status) {
	m.mu.Lock()
	old := m.st
	m.st = s
	m.mu.Unlock()
	if m.cfg.OnChange != nil && s.changed(old) {
		m.cfg.OnChange(s)
	}
}

// changed says whether s differs from old in what the owner sees.
func (s Status) changed(old Status) bool {
	s.Renewed, s.Expires, s.Since = old.Renewed, old.Expires, old.Since
	return s != old
}

// Run maps the port, renews the mapping at half its lease (at least
// every 5 minutes, which also rereads the external address), finds the
// router again when a renewal fails (5 s later), and retries with
// back-off (30 s doubling to 15 min) while no router maps it. When ctx is done it
// removes the mapping and returns.
func (m *Mapper) Run(ctx context.Context) {
	var gw, mapped gateway // mapped: the last one that granted, removed at the end
	retry := firstRetry
	for {
		var lease time.Duration
		var err error
		renewal := gw != nil
		if renewal {
			lease, err = m.grant(ctx, gw)
		} else {
			gw, lease, err = m.connect(ctx)
		}
		wait := retry
		switch {
		case err == nil:
			mapped, wait, retry = gw, renewAfter(lease), firstRetry
		case renewal:
			// The router answered a moment ago (it may be rebooting):
			// look for it again soon, then back off.
			gw, wait = nil, renewRetry
		default:
			retry = min(retry*2, lastRetry)
		}
		select {
		case <-ctx.Done():
			m.remove(mapped)
			return
		case <-time.After(wait):
		}
	}
}

// renewAfter is when to ask again after a grant of lease: at half the
// lease (RFC 6886 §3.3 and IGD practice), at most renewEvery.
func renewAfter(lease time.Duration) time.Duration {
	return min(max(lease/2, time.Second), renewEvery)
}

// connect finds a router by each configured protocol in turn (UPnP,
// then NAT-PMP) and asks it for the mapping, until one grants it: a
// router whose UPnP refuses may still map by NAT-PMP. It records the
// outcome: the grant, or every protocol's failure with what the last
// router that answered said of its address.
func (m *Mapper) connect(ctx context.Context) (gateway, time.Duration, error) {
	var errs []error
	var partial Status
	for _, find := range m.finders() {
		gw, err := find(ctx)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		g, err := m.ask(ctx, gw)
		if err == nil {
			m.record(g)
			return gw, g.lease, nil
		}
		errs = append(errs, err)
		partial = g.Status
	}
	err := allFailed(errs)
	m.fail(err, partial)
	return nil, 0, err
}

// allFailed is the failures of every protocol tried, in one line.
type allFailed []error

func (e allFailed) Error() string {
	s := make([]string, len(e))
	for i, err := range e {
		s[i] = err.Error()
	}
	return strings.Join(s, "; ")
}

func (e allFailed) Unwrap() []error { return e }

// finders are the searches for a router, by the configured protocols.
func (m *Mapper) finders() []func(context.Context) (gateway, error) {
	var f []func(context.Context) (gateway, error)
	if m.cfg.Protocol != NATPMP {
		f = append(f, func(ctx context.Context) (gateway, error) { return findUPnP(ctx, m.cfg) })
	}
	if m.cfg.Protocol != UPnP {
		f = append(f, func(context.Context) (gateway, error) { return findNATPMP(m.cfg) })
	}
	return f
}

// grant renews the mapping on gw and records the outcome; it returns
// the lease granted.
func (m *Mapper) grant(ctx context.Context, gw gateway) (time.Duration, error) {
	g, err := m.ask(ctx, gw)
	if err != nil {
		m.fail(err, g.Status)
		return 0, err
	}
	m.record(g)
	return g.lease, nil
}

// ask asks gw for the mapping, within callTimeout.
func (m *Mapper) ask(ctx context.Context, gw gateway) (grant, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	return gw.mapPort(ctx)
}

// record makes a grant the status, logging what changed.
func (m *Mapper) record(g grant) {
	now := m.cfg.Now()
	s := g.Status
	s.State, s.NAT, s.Renewed, s.Expires = Mapped, Classify(s.External), now, now.Add(g.lease)
	old := m.Status()
	s.Since = old.Since
	if old.State != Mapped || old.External != s.External || old.ExternalPort != s.ExternalPort {
		s.Since = now
		m.log.Info("portmap: mapped", "method", s.Method, "router", s.Router, "external", s.External,
			"external_port", s.ExternalPort, "internal", s.Internal, "lease", g.lease, "nat", s.NAT.String(), "pinhole", s.Pinhole)
		if p := s.Problem(); p != "" {
			m.log.Warn("portmap: " + p)
		}
		if s.PinholeNote != "" {
			m.log.Warn("portmap: no IPv6 pinhole: " + s.PinholeNote)
		}
	}
	m.setStatus(s)
}

// fail records a failure; partial holds what the router did say (its
// address and so its NAT, which may explain the failure).
func (m *Mapper) fail(err error, partial Status) {
	s := partial
	s.State, s.Err = Failed, err.Error()
	old := m.Status()
	s.Since = old.Since
	if old.State != Failed || old.Err != s.Err {
		s.Since = m.cfg.Now()
		m.log.Warn("portmap: "+s.Problem(), "err", err)
	}
	m.setStatus(s)
}

// remove takes the mapping off gw at shutdown, also after a failed
// renewal: the router may still hold what it granted before.
func (m *Mapper) remove(gw gateway) {
	s := m.Status()
	if gw != nil {
		ctx, cancel := context.WithTimeout(context.Background(), removeTimeout)
		defer cancel()
		if err := gw.unmapPort(ctx); err != nil {
			m.log.Warn("portmap: removing the mapping", "router", s.Router, "err", err)
		} else {
			m.log.Info("portmap: mapping removed", "router", s.Router, "external_port", s.ExternalPort)
		}
	}
	s.State = Removed
	m.setStatus(s)
}

// gateway is a router that maps ports by one protocol.
type gateway interface {
	// mapPort asks for the mapping, or renews it. On failure the grant
	// holds what the router did tell (its address).
	mapPort(ctx context.Context) (grant, error)
	// unmapPort removes what mapPort made.
	unmapPort(ctx context.Context) error
}

// grant is a router's answer to mapPort.
type grant struct {
	Status               // Method, Router, External, ExternalPort, Internal, Pinhole, PinholeNote
	lease  time.Duration // as granted, which may be shorter than asked
}
