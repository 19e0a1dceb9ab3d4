package dyndns

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Protocols.
const (
	DynDNS2 = "dyndns2" // No-IP, Dynu, dyn.com, most routers' "custom" provider
	DuckDNS = "duckdns"
)

// Limits and waits.
const (
	maxReply     = 4 << 10          // bytes of a reply read
	callTimeout  = 30 * time.Second // one update request
	firstRetry   = time.Minute      // after a network or HTTP error, doubling
	lastRetry    = 30 * time.Minute
	serverRetry  = 30 * time.Minute // after 911 or dnserr: "wait at least 30 minutes"
	DefaultAgent = "homemmsc - appliance - dev"
)

// Service is where and how to update: Parse reads it from the setting.
type Service struct {
	Protocol string   // DynDNS2 or DuckDNS
	URL      *url.URL // the update URL: hostname= (dyndns2, with user:password) or domains= and token= (DuckDNS)
}

// Parse reads "PROTOCOL:URL": "dyndns2:https://USER:PASSWORD@dynupdate.no-ip.com/nic/update?hostname=NAME"
// or "duckdns:https://www.duckdns.org/update?domains=NAME&token=TOKEN".
func Parse(s string) (Service, error) {
	proto, raw, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return Service{}, errors.New("dyndns: want dyndns2:URL or duckdns:URL")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return Service{}, fmt.Errorf("dyndns: %q is not an http(s) URL", redact(raw))
	}
	q := u.Query()
	switch proto {
	case DynDNS2:
		if q.Get("hostname") == "" || u.User == nil {
			return Service{}, errors.New("dyndns: a dyndns2 URL needs USER:PASSWORD@ and ?hostname=")
		}
	case DuckDNS:
		if q.Get("domains") == "" || q.Get("token") == "" {
			return Service{}, errors.New("dyndns: a DuckDNS URL needs ?domains= and &token=")
		}
	default:
		return Service{}, fmt.Errorf("dyndns: unknown protocol %q (want dyndns2 or duckdns)", proto)
	}
	return Service{Protocol: proto, URL: u}, nil
}

// Name is the DNS name (or names) the service keeps up to date.
func (s Service) Name() string {
	if s.Protocol == DuckDNS {
		return s.URL.Query().Get("domains")
	}
	return s.URL.Query().Get("hostname")
}

// redact hides a URL's password and token, for messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unreadable URL)"
	}
	if q := u.Query(); q.Has("token") {
		q.Set("token", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// Config configures an Updater. Service is required.
type Config struct {
	Service   Service
	UserAgent string       // dyndns2 wants "Company - Device - Version"; if empty, DefaultAgent
	Client    *http.Client // if nil, one with callTimeout
	Logger    *slog.Logger // if nil, slog.Default()
	Now       func() time.Time
	OnChange  func(Status) // if set, called after every attempt, from Run's goroutine
}

// Status is what the Updater knows now.
type Status struct {
	Name    string     // the DNS name
	State   State      //
	Addr    netip.Addr // the IPv4 address last sent
	Addr6   netip.Addr // the IPv6 address last sent
	Updated time.Time  // the last update the service took
	Next    time.Time  // the next try, while State is Retrying
	Err     string     // the last failure
}

// State is where an Updater is.
type State int

const (
	Waiting  State = iota // no address to send yet
	Current               // the service has the address
	Retrying              // the last try failed; another comes at Next
	Stopped               // the service refused the setting; no more tries until it changes
)

func (s State) String() string {
	return [...]string{"waiting for an address", "up to date", "retrying", "stopped"}[s]
}

// Updater sends the public address to the service when it changes.
type Updater struct {
	cfg  Config
	log  *slog.Logger
	poke chan struct{}

	mu        sync.Mutex
	want      [2]netip.Addr // IPv4, IPv6 to send
	sent      [2]netip.Addr // what the service has
	st        Status
	nextWait  time.Duration
	notBefore time.Time // no request before this: the back-off of the last failure
}

// New returns an Updater; Run starts it.
func New(cfg Config) (*Updater, error) {
	if cfg.Service.URL == nil {
		return nil, errors.New("dyndns: no service")
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultAgent
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: callTimeout}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Updater{cfg: cfg, log: cfg.Logger, poke: make(chan struct{}, 1), st: Status{Name: cfg.Service.Name()}}, nil
}

// Set gives the public addresses (IPv4, IPv6; either may be invalid);
// Run sends them if they differ from what the service has.
func (u *Updater) Set(v4, v6 netip.Addr) {
	u.mu.Lock()
	u.want = [2]netip.Addr{v4, v6}
	u.mu.Unlock()
	select {
	case u.poke <- struct{}{}:
	default:
	}
}

// Status is the updater's state now.
func (u *Updater) Status() Status {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.st
}

// Run sends each new address until ctx is done. A failure is retried
// after a minute, doubling to 30 minutes, or after 30 minutes when the
// service says it is in trouble (911, dnserr); a refusal of the setting
// (badauth, nohost, KO...) stops the updates.
func (u *Updater) Run(ctx context.Context) {
	var retry <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-u.poke:
		case <-retry:
		}
		retry = nil
		if wait, again := u.attempt(ctx); again {
			retry = time.After(wait)
		}
	}
}

// attempt sends the wanted addresses if they are new; it says whether
// and when to try again.
func (u *Updater) attempt(ctx context.Context) (time.Duration, bool) {
	u.mu.Lock()
	want, sent, st, notBefore := u.want, u.sent, u.st, u.notBefore
	u.mu.Unlock()
	if st.State == Stopped || want == sent || !want[0].IsValid() && !want[1].IsValid() {
		return 0, false
	}
	if wait := notBefore.Sub(u.cfg.Now()); wait > 0 {
		return wait, true // a new address waits out the back-off too
	}
	err := u.update(ctx, want[0], want[1])
	u.mu.Lock()
	defer u.mu.Unlock()
	now := u.cfg.Now()
	st.Addr, st.Addr6 = want[0], want[1]
	var wait time.Duration
	var refused *RefusedError
	switch {
	case err == nil:
		u.sent, u.nextWait = want, 0
		st.State, st.Updated, st.Err, st.Next = Current, now, "", time.Time{}
		u.log.Info("dyndns: updated", "name", st.Name, "addr", want[0], "addr6", want[1])
	case errors.As(err, &refused) && refused.Final():
		st.State, st.Err, st.Next = Stopped, err.Error(), time.Time{}
		u.log.Error("dyndns: the service refused the setting; no more updates until it is changed", "name", st.Name, "err", err)
	default:
		wait = u.backoff(refused)
		st.State, st.Err, st.Next = Retrying, err.Error(), now.Add(wait)
		u.notBefore = st.Next
		u.log.Warn("dyndns: update failed", "name", st.Name, "err", err, "retry_in", wait)
	}
	u.st = st
	if u.cfg.OnChange != nil {
		u.cfg.OnChange(st)
	}
	return wait, st.State == Retrying
}

// backoff is the wait before the next try; called with u.mu held.
func (u *Updater) backoff(refused *RefusedError) time.Duration {
	if refused != nil {
		return serverRetry
	}
	u.nextWait = min(max(u.nextWait*2, firstRetry), lastRetry)
	return u.nextWait
}

// update sends one request and reads the answer.
func (u *Updater) update(ctx context.Context, v4, v6 netip.Addr) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	req, err := u.request(ctx, v4, v6)
	if err != nil {
		return err
	}
	resp, err := u.cfg.Client.Do(req)
	if err != nil {
		return fmt.Errorf("dyndns: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	if err != nil {
		return fmt.Errorf("dyndns: reading the answer: %w", err)
	}
	if u.cfg.Service.Protocol == DuckDNS {
		return duckAnswer(resp.StatusCode, body)
	}
	return dyndns2Answer(resp.StatusCode, body)
}

// request is the update GET: dyndns2 with myip= and Basic
// authentication, DuckDNS with ip= and ipv6=.
func (u *Updater) request(ctx context.Context, v4, v6 netip.Addr) (*http.Request, error) {
	su := *u.cfg.Service.URL
	q := su.Query()
	var user *url.Userinfo
	if u.cfg.Service.Protocol == DuckDNS {
		setAddr(q, "ip", v4)
		setAddr(q, "ipv6", v6)
	} else {
		user, su.User = su.User, nil
		q.Set("myip", firstValid(v4, v6).String())
	}
	su.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, su.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("dyndns: %w", err)
	}
	if user != nil {
		pw, _ := user.Password()
		req.SetBasicAuth(user.Username(), pw)
	}
	req.Header.Set("User-Agent", u.cfg.UserAgent)
	return req, nil
}

func setAddr(q url.Values, key string, a netip.Addr) {
	if a.IsValid() {
		q.Set(key, a.String())
	}
}

func firstValid(a, b netip.Addr) netip.Addr {
	if a.IsValid() {
		return a
	}
	return b
}

// ReadSetting reads a settings file (-dyndns @file): the setting on its
// first line that is not blank or a # comment, as Parse reads it.
func ReadSetting(f io.Reader) (Service, error) {
	b, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return Service{}, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			return Parse(line)
		}
	}
	return Service{}, errors.New("no setting in the file")
}
