package health

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/homemmsc/homemmsc/internal/store"
)

// testHealth is a healthy check over fakes; tests break one thing each.
type testHealth struct {
	h       *Checker
	stats   store.Stats
	serving atomic.Bool
	writes  int
	werr    error
	now     time.Time
}

func newTestHealth() *testHealth {
	th := &testHealth{stats: store.Stats{FreeBytes: 1 << 30}, now: time.Unix(1.8e9, 0)}
	th.serving.Store(true)
	now := func() time.Time { return th.now }
	th.h = New(Config{
		Stats: func() store.Stats { return th.stats }, Serving: th.serving.Load,
		Accept: func() (time.Time, error) { return time.Time{}, nil },
		Dir:    "/data", Synced: func() bool { return true }, Now: now,
	})
	th.h.probe.test = func(string) error { th.writes++; return th.werr }
	return th
}

func (th *testHealth) get(t *testing.T) (int, Reply) {
	t.Helper()
	rec := httptest.NewRecorder()
	th.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	var rep Reply
	if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
		t.Fatalf("/healthz body %q: %v", rec.Body, err)
	}
	if rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("Content-Type %q", rec.Header().Get("Content-Type"))
	}
	return rec.Code, rep
}

func TestHealthz(t *testing.T) {
	th := newTestHealth()
	if code, rep := th.get(t); code != 200 || rep.Status != "ok" || len(rep.Problems) != 0 || !rep.ClockSynced {
		t.Fatalf("healthy: %d %+v", code, rep)
	}
	for _, tt := range []struct {
		name         string
		break_       func(th *testHealth)
		status, want string
	}{
		{"not serving", func(th *testHealth) { th.serving.Store(false) }, "failing", "MMSC listener not serving"},
		{"accept failing", func(th *testHealth) {
			th.h.cfg.Accept = func() (time.Time, error) { return th.now.Add(-time.Second), syscall.EMFILE }
		}, "failing", "cannot accept connections: too many open files"},
		{"read-only card", func(th *testHealth) { th.werr = syscall.EROFS }, "failing", "store not writable: read-only file system"},
		// Space: the listener serves, messages are refused for now.
		{"disk full", func(th *testHealth) { th.stats.FreeBytes = 1 << 20 }, "degraded", "disk full"},
		{"quota full", func(th *testHealth) { th.h.cfg.Quota, th.stats.Bytes = 100, 100 }, "degraded", "quota full"},
		{"a message refused by the quota", func(th *testHealth) {
			th.h.cfg.Quota, th.stats.Bytes = 100, 90
			th.stats.Full, th.stats.FullSince, th.stats.FullNeeded = store.FullQuota, th.now, 30_000
		}, "degraded", "quota full: a message of 30000 bytes was refused at"},
		{"a message refused by the floor", func(th *testHealth) {
			th.stats.Full, th.stats.FullSince, th.stats.FullNeeded = store.FullDisk, th.now, 30_000
		}, "degraded", "disk full: a message of 30000 bytes was refused at"},
	} {
		th := newTestHealth()
		tt.break_(th)
		code, rep := th.get(t)
		if code != http.StatusServiceUnavailable || rep.Status != tt.status || len(rep.Problems) != 1 || !strings.Contains(rep.Problems[0], tt.want) {
			t.Errorf("%s: %d %+v, want 503, %s, saying %q", tt.name, code, rep, tt.status, tt.want)
		}
	}
	th = newTestHealth()
	th.h.cfg.Accept = func() (time.Time, error) { return th.now.Add(-time.Hour), syscall.EMFILE }
	if code, _ := th.get(t); code != 200 {
		t.Errorf("an accept error an hour old: %d, want 200", code)
	}
	rec := httptest.NewRecorder()
	th.h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/healthz", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /healthz: %d", rec.Code)
	}
}

// TestHealthzWarnings: what keeps phones out is shown, and the service
// stays healthy.
func TestHealthzWarnings(t *testing.T) {
	th := newTestHealth()
	th.h.cfg.Warnings = func() []string { return []string{"Carrier-grade NAT: ..."} }
	code, rep := th.get(t)
	if code != 200 || rep.Status != "ok" || len(rep.Warnings) != 1 || rep.Warnings[0] != "Carrier-grade NAT: ..." {
		t.Errorf("%d %+v, want 200 with the warning", code, rep)
	}
}

// The probe runs at most once per probeEvery however often /healthz is asked.
func TestWriteProbeReusesResult(t *testing.T) {
	th := newTestHealth()
	for range 5 {
		th.get(t)
	}
	if th.writes != 1 {
		t.Errorf("5 checks made %d writes, want 1", th.writes)
	}
	th.werr = syscall.ENOSPC
	th.now = th.now.Add(probeEvery)
	if code, rep := th.get(t); code != 503 || th.writes != 2 || !strings.Contains(rep.Problems[0], "no space") {
		t.Errorf("after probeEvery: %d %+v, %d writes", code, rep, th.writes)
	}
}

// A hung SD card: /healthz answers 503 after probeTimeout, and starts no
// second write while the first hangs.
func TestWriteProbeHung(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var writes atomic.Int32
		p := &diskProbe{dir: "/data", now: time.Now, test: func(string) error { writes.Add(1); <-release; return nil }}
		start := time.Now()
		err := p.check(context.Background())
		if err == nil || !strings.Contains(err.Error(), "has taken over 2s") || time.Since(start) != probeTimeout {
			t.Errorf("hung write: %v after %v", err, time.Since(start))
		}
		time.Sleep(probeEvery)
		p.check(context.Background())
		if writes.Load() != 1 {
			t.Errorf("%d writes started while the first hung", writes.Load())
		}
		close(release)
		synctest.Wait()
		if err := p.check(context.Background()); err != nil {
			t.Errorf("after the card came back: %v", err)
		}
	})
}

func TestCheckDisk(t *testing.T) {
	dir := t.TempDir()
	if err := checkDisk(dir); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("the check left %v", ents)
	}
	err := checkDisk(filepath.Join(dir, "missing"))
	if !errors.Is(err, os.ErrNotExist) || strings.Contains(err.Error(), dir) {
		t.Errorf("missing dir: %v, want ENOENT without the path", err)
	}
}
