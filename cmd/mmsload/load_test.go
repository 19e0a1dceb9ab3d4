package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeMMSC stores each body under dir and answers an M-Send.conf, but
// misbehaves on purpose: every dropEvery-th message is answered Ok and
// not stored, every corruptEvery-th is stored cut short, and every
// refuseEvery-th gets HTTP 503.
type fakeMMSC struct {
	dir                                  string
	dropEvery, corruptEvery, refuseEvery int
	mu                                   sync.Mutex
	n                                    int
}

func (f *fakeMMSC) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.n++
	n := f.n
	f.mu.Unlock()
	if f.refuseEvery > 0 && n%f.refuseEvery == 0 {
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	tid := string(body[3 : 3+strings.IndexByte(string(body[3:]), 0)])
	switch {
	case f.dropEvery > 0 && n%f.dropEvery == 0:
	case f.corruptEvery > 0 && n%f.corruptEvery == 0:
		os.WriteFile(filepath.Join(f.dir, fmt.Sprintf("%d.mms", n)), body[:len(body)/2], 0o644)
	default:
		os.WriteFile(filepath.Join(f.dir, fmt.Sprintf("%d.mms", n)), body, 0o644)
	}
	w.Header().Set("Content-Type", "application/vnd.wap.mms-message")
	fmt.Fprintf(w, "\x8c\x81\x98%s\x00\x8d\x92\x92\x80\x8bid-%d\x00", tid, n)
}

// TestRunLoadFindsLostAndCorrupt runs the load pipeline end to end against
// a fake MMSC whose faults are known, and checks that each one is counted.
func TestRunLoadFindsLostAndCorrupt(t *testing.T) {
	f := &fakeMMSC{dir: t.TempDir(), dropEvery: 7, corruptEvery: 11, refuseEvery: 13}
	srv := httptest.NewServer(f)
	defer srv.Close()
	tp, err := newPDUTemplate(8192, "Ltest-", 1)
	if err != nil {
		t.Fatal(err)
	}
	const count = 200
	var windows []bool
	res, err := runLoad(context.Background(), loadSpec{
		URL: srv.URL + "/mms", Clients: 4, Duration: time.Hour, Count: count,
		PDU: tp, Strict: true, Window: func(end bool) { windows = append(windows, end) },
	})
	if err != nil {
		t.Fatal(err)
	}
	refused := count / 13
	if res.Sent != count || res.Measured != count || res.OK != count-refused || res.Failed != refused {
		t.Errorf("sent %d measured %d ok %d failed %d; want %d %d %d %d",
			res.Sent, res.Measured, res.OK, res.Failed, count, count, count-refused, refused)
	}
	if res.Errors["HTTP 503"] != refused || len(res.Latency) != count {
		t.Errorf("errors %v, %d latencies", res.Errors, len(res.Latency))
	}
	if len(windows) != 2 || windows[0] || !windows[1] {
		t.Errorf("window calls %v, want [false true]", windows)
	}
	c, err := verifyDir(f.dir, tp, res.OKIDs)
	if err != nil {
		t.Fatal(err)
	}
	// Faults by request number n: refused n%13==0; else dropped n%7==0;
	// else cut n%11==0.
	var dropped, cut int
	for n := 1; n <= count; n++ {
		switch {
		case n%13 == 0:
		case n%7 == 0:
			dropped++
		case n%11 == 0:
			cut++
		}
	}
	want := storeCheck{Intact: count - refused - dropped - cut, Lost: dropped + cut, Corrupt: cut}
	if c != want {
		t.Errorf("verifyDir = %+v, want %+v", c, want)
	}
}

// TestRunLoadLaxAndStrict: a reply that is not an M-Send.conf fails a
// strict run and passes a lax one (the seed page's malformed replies).
func TestRunLoadLaxAndStrict(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Write([]byte("\x8c\x81\x98"))
	}))
	defer srv.Close()
	tp, _ := newPDUTemplate(4096, "Llax-", 1)
	for _, strict := range []bool{true, false} {
		res, err := runLoad(context.Background(), loadSpec{URL: srv.URL, Clients: 2, Duration: time.Hour, Count: 10, PDU: tp, Strict: strict})
		if err != nil {
			t.Fatal(err)
		}
		if wantOK := map[bool]int{true: 0, false: 10}[strict]; res.OK != wantOK {
			t.Errorf("strict=%v: %d OK, want %d (errors %v)", strict, res.OK, wantOK, res.Errors)
		}
	}
}

func TestVerifyDirExtraAndNested(t *testing.T) {
	dir := t.TempDir()
	tp, _ := newPDUTemplate(4096, "Lv-", 9)
	nested := filepath.Join(dir, "2026", "ab")
	os.MkdirAll(nested, 0o755)
	os.WriteFile(filepath.Join(nested, "pdu"), tp.bytes(tp.tid(1)), 0o644)
	os.WriteFile(filepath.Join(dir, "pdu-copy"), tp.bytes(tp.tid(1)), 0o644)
	os.WriteFile(filepath.Join(dir, "unasked"), tp.bytes(tp.tid(2)), 0o644)
	os.WriteFile(filepath.Join(dir, "meta.json"), []byte(`{"id":"x"}`), 0o644)
	c, err := verifyDir(dir, tp, []string{tp.tid(1), tp.tid(3)})
	if err != nil {
		t.Fatal(err)
	}
	if want := (storeCheck{Intact: 1, Lost: 1, Extra: 1}); c != want {
		t.Errorf("verifyDir = %+v, want %+v", c, want)
	}
	if sha256.Sum256(tp.bytes(tp.tid(1))) != tp.sum(tp.tid(1)) {
		t.Error("sum differs from sha256 of bytes")
	}
}

func TestPercentile(t *testing.T) {
	var r loadResult
	for i := 1; i <= 100; i++ {
		r.Latency = append(r.Latency, time.Duration(i)*time.Millisecond)
	}
	if p := r.Percentile(0.5); p != 50*time.Millisecond {
		t.Errorf("p50 = %v", p)
	}
	if p := r.Percentile(0.99); p != 99*time.Millisecond {
		t.Errorf("p99 = %v", p)
	}
	if p := (loadResult{}).Percentile(0.5); p != 0 {
		t.Errorf("empty p50 = %v", p)
	}
}

// TestPool: rounds pool into one row whose rates are over the windows
// together, with the worst memory and every loss.
func TestPool(t *testing.T) {
	a := row{Server: "x", Size: 30 << 10, Clients: 8, PeakKB: 100, IdleKB: 10,
		Load:  loadResult{Elapsed: time.Second, OK: 100, Latency: []time.Duration{3, 1}, Errors: map[string]int{"HTTP 500": 1}},
		Store: storeCheck{Intact: 100}, CPU: cpuTime{User: 100 * time.Millisecond}}
	b := row{Server: "x", Size: 30 << 10, Clients: 8, PeakKB: 300, IdleKB: 9,
		Load:  loadResult{Elapsed: 3 * time.Second, OK: 500, Latency: []time.Duration{2}, Errors: map[string]int{"HTTP 500": 2}},
		Store: storeCheck{Intact: 499, Lost: 1}, CPU: cpuTime{Sys: 500 * time.Millisecond}, Problems: []string{"p"}}
	p := pool([]row{a, b})
	if got := p.Load.ReqPerSec(); got != 150 {
		t.Errorf("req/s %v, want 600 OK over 4 s = 150", got)
	}
	if got := p.CPUPerMsg(); got != time.Millisecond {
		t.Errorf("CPU per message %v, want 600 ms / 600 = 1 ms", got)
	}
	if p.PeakKB != 300 || p.IdleKB != 10 || p.Store.Lost != 1 || p.Load.Errors["HTTP 500"] != 3 || len(p.Problems) != 1 {
		t.Errorf("pooled %+v", p)
	}
	if !slices.Equal(p.Load.Latency, []time.Duration{1, 2, 3}) {
		t.Errorf("latencies %v, want all of them sorted", p.Load.Latency)
	}
	if a.Load.OK != 100 || len(a.Load.Errors) != 1 || a.Load.Errors["HTTP 500"] != 1 {
		t.Errorf("pool changed its first round: %+v", a.Load)
	}
}
