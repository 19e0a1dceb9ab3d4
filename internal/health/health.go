package health

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/homemmsc/homemmsc/internal/store"
)

// Health check limits: /healthz answers within probeTimeout whatever the
// SD card does, and writes to it at most once per probeEvery.
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
	probe *writeProbe
}

// New returns the check described by cfg.
func New(cfg Config) *Checker {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Checker{cfg: cfg, probe: &writeProbe{dir: cfg.Dir, now: cfg.Now}}
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
		add("quota full: a message was refused at %s (%d of %d bytes used)", since, st.Bytes, c.cfg.Quota)
	}
	switch {
	case diskFull:
		add("disk full: %d bytes free, new messages need %d", st.FreeBytes, LowFree)
	case st.Full == store.FullDisk:
		add("disk full: a message was refused at %s (%d bytes free)", since, st.FreeBytes)
	}
}

// writeProbe checks that a directory takes a write: create, write, close
// and remove one small file (no fsync: the point is EROFS, ENOSPC, EIO or
// a hung card, not durability). One probe runs at a time; its result is
// reused for probeEvery; a caller waits at most probeTimeout for it.
type writeProbe struct {
	dir   string
	write func(dir string) error // if nil, tryWrite
	now   func() time.Time

	mu   sync.Mutex
	done chan struct{} // closed when the latest probe finished; nil before the first
	err  error         // of the latest finished probe
	at   time.Time
}

func (p *writeProbe) check(ctx context.Context) error {
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
		return fmt.Errorf("a test write in %s has taken over %v", p.dir, probeTimeout)
	case <-ctx.Done():
		return ctx.Err()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

func (p *writeProbe) run(done chan struct{}) {
	write := p.write
	if write == nil {
		write = tryWrite
	}
	err := write(p.dir)
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

// probeName is the probe's file in the data directory; a fixed name, so a
// crash mid-probe leaves one small file at most, reused next time.
const probeName = ".healthz-probe"

func tryWrite(dir string) error {
	return shortErr(TestWrite(filepath.Join(dir, probeName), false))
}

// TestWrite creates path, writes a line, fsyncs it if sync is set,
// closes and removes it: /healthz's probe and the watchdog's.
func TestWrite(path string, sync bool) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write([]byte("ok\n"))
	if sync {
		err = errors.Join(err, f.Sync())
	}
	return errors.Join(err, f.Close(), os.Remove(path))
}

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
