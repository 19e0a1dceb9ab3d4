package health

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/homemmsc/homemmsc/internal/store"
)

// Health check limits: /healthz answers within probeTimeout whatever the
// SD card does, and checks it at most once per probeEvery.
const (
	probeTimeout = 2 * time.Second
	probeEvery   = 10 * time.Second
	acceptRecent = 30 * time.Second // an accept error this recent makes the listener unhealthy
)

// LowFree is when the disk counts as full: the store's default
// free-space floor.
const LowFree = store.DefaultMinFree

// Config is what the check looks at.
type Config struct {
	Stats   func() store.Stats
	Quota   int64                     // -quota; 0 = none
	Serving func() bool               // the MMSC server's Serve is running
	Accept  func() (time.Time, error) // the MMSC listener's last accept error
	Dir     string                    // the store's directory, where the write probe writes
	Synced  func() bool               // the clock is synchronised
	Now     func() time.Time          // if nil, time.Now
	// Warnings, if set, lists what keeps phones on the internet out
	// (carrier-grade NAT, no port mapping, a failed self-test): shown,
	// but the service itself is healthy.
	Warnings func() []string
}

// Checker decides /healthz: the store's filesystem takes a write and has
// room, the quota is not reached, and the MMSC listener serves.
type Checker struct {
	cfg   Config
	probe *diskProbe
}

// New returns the check described by cfg.
func New(cfg Config) *Checker {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Checker{cfg: cfg, probe: &diskProbe{dir: cfg.Dir, now: cfg.Now}}
}

// Reply is the JSON body of /healthz.
type Reply struct {
	Status      string   `json:"status"` // "ok", "degraded" (messages refused for space) or "failing"
	Problems    []string `json:"problems,omitempty"`
	Warnings    []string `json:"warnings,omitempty"` // not failing: Config.Warnings
	ClockSynced bool     `json:"clock_synced"`
	FreeBytes   int64    `json:"free_bytes"`
	LastError   string   `json:"last_store_error,omitempty"`
}

func (c *Checker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	rep := c.Check(r.Context())
	code := http.StatusOK
	if rep.Status != "ok" {
		code = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(rep)
}

// Check gathers every problem; none means healthy.
func (c *Checker) Check(ctx context.Context) Reply {
	st := c.cfg.Stats()
	rep := Reply{Status: "ok", ClockSynced: c.cfg.Synced(), FreeBytes: st.FreeBytes, LastError: st.LastError}
	add := func(format string, args ...any) { rep.Problems = append(rep.Problems, fmt.Sprintf(format, args...)) }
	if !c.cfg.Serving() {
		add("MMSC listener not serving")
	}
	if at, err := c.cfg.Accept(); err != nil && c.cfg.Now().Sub(at) < acceptRecent {
		add("MMSC listener cannot accept connections: %v", err)
	}
	if err := c.probe.check(ctx); err != nil {
		add("store not writable: %v", err)
	}
	failing := len(rep.Problems) > 0
	c.space(st, add)
	switch {
	case failing:
		rep.Status = "failing"
	case len(rep.Problems) > 0:
		rep.Status = "degraded"
	}
	if c.cfg.Warnings != nil {
		rep.Warnings = c.cfg.Warnings()
	}
	return rep
}

// space adds the problems of a store that refuses messages for lack of
// space: it still serves (the phone is told to retry later), so they
// make the appliance degraded, not failing. A refusal counts until a
// message of its size fits again (store.Stats.Full), even while the
// quota is not quite reached.
func (c *Checker) space(st store.Stats, add func(string, ...any)) {
	quotaFull := c.cfg.Quota > 0 && st.Bytes >= c.cfg.Quota
	diskFull := st.FreeBytes >= 0 && st.FreeBytes < LowFree
	since := st.FullSince.UTC().Format(time.RFC3339)
	switch {
	case quotaFull:
		add("quota full: %d of %d bytes used", st.Bytes, c.cfg.Quota)
	case st.Full == store.FullQuota:
		add("quota full: a message of %d bytes was refused at %s (%d of %d bytes used)", st.FullNeeded, since, st.Bytes, c.cfg.Quota)
	}
	switch {
	case diskFull:
		add("disk full: %d bytes free, new messages need %d", st.FreeBytes, LowFree)
	case st.Full == store.FullDisk:
		add("disk full: a message of %d bytes was refused at %s (%d bytes free)", st.FullNeeded, since, st.FreeBytes)
	}
}

// diskProbe runs CheckDisk on the store's directory. One probe runs at
// a time; its result is reused for probeEvery; a caller waits at most
// probeTimeout for it, so /healthz answers on a hung card.
type diskProbe struct {
	dir  string
	test func(dir string) error // if nil, checkDisk
	now  func() time.Time

	mu   sync.Mutex
	done chan struct{} // closed when the latest probe finished; nil before the first
	err  error         // of the latest finished probe
	at   time.Time
}

func (p *diskProbe) check(ctx context.Context) error {
	p.mu.Lock()
	if p.done == nil || (closed(p.done) && p.now().Sub(p.at) >= probeEvery) {
		p.done = make(chan struct{})
		go p.run(p.done)
	}
	done := p.done
	p.mu.Unlock()
	t := time.NewTimer(probeTimeout)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		return fmt.Errorf("a cache flush of %s has taken over %v", p.dir, probeTimeout)
	case <-ctx.Done():
		return ctx.Err()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

func (p *diskProbe) run(done chan struct{}) {
	test := p.test
	if test == nil {
		test = checkDisk
	}
	err := test(p.dir)
	p.mu.Lock()
	p.err, p.at = err, p.now()
	p.mu.Unlock()
	close(done)
}

func closed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func checkDisk(dir string) error { return shortErr(CheckDisk(dir)) }

// shortErr drops the path from an *os.PathError: the reply names the
// directory already.
func shortErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	if err != nil && strings.Contains(err.Error(), "\n") {
		return errors.New(strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	return err
}
