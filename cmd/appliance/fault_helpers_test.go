package main_test

// Helpers of the fault and soak tests (issue 5): how long to run, the
// binary's memory and file descriptors from /proc, clients bound to other
// loopback addresses, and a "phone" that times its M-Send.req.

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/mms"
)

var soakFor = flag.Duration("soak-for", 0, "length of TestSoak (default 12s, or 30m with -soak; or $E2E_SOAK_FOR)")

// soakLong reports whether the long versions run: `make soak` passes
// -soak N; E2E_SOAK_ROUNDS=N does the same.
func soakLong() bool {
	n, _ := strconv.Atoi(os.Getenv("E2E_SOAK_ROUNDS"))
	return *soakRounds > 0 || n > 0
}

// skipLoadUnderRace skips a load test under -race: the binary under test
// is built without the race detector, so -race only slows the test's own
// load generator, and the run would measure that. The in-process fault
// tests do run under -race.
func skipLoadUnderRace(t *testing.T) {
	t.Helper()
	if raceEnabled {
		t.Skip("a load test of the binary (built without -race); skipped under -race, runs in make test")
	}
}

// soakDuration is how long TestSoak loads the binary: -soak-for, else
// $E2E_SOAK_FOR, else 30 minutes in the long run and 12 s in `make test`.
func soakDuration(t *testing.T) time.Duration {
	if *soakFor > 0 {
		return *soakFor
	}
	if s := os.Getenv("E2E_SOAK_FOR"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			t.Fatalf("E2E_SOAK_FOR=%q: want a duration such as 30m", s)
		}
		return d
	}
	if soakLong() {
		return 30 * time.Minute
	}
	return 12 * time.Second
}

// procSample is the binary's resident memory and open descriptors.
type procSample struct {
	At      time.Duration // since the start of the run
	RSSKiB  int64
	FDs     int
	Slowest time.Duration // the load's longest wait for an answer since the previous sample
}

// sampleProc reads /proc/PID/status (VmRSS) and counts /proc/PID/fd.
func sampleProc(pid int) (procSample, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return procSample{}, err
	}
	var s procSample
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			s.RSSKiB, err = strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return s, fmt.Errorf("VmRSS %q: %w", v, err)
			}
		}
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return s, err
	}
	s.FDs = len(fds)
	return s, nil
}

// medianOf is the median of f over samples (the upper one of an even count).
func medianOf(samples []procSample, f func(procSample) int64) int64 {
	v := make([]int64, len(samples))
	for i, s := range samples {
		v[i] = f(s)
	}
	slices.Sort(v)
	return v[len(v)/2]
}

// fromAddr is an HTTP client whose connections start from the loopback
// address ip. Linux routes all of 127.0.0.0/8 to lo, so each attacker can
// come from its own address: a per-IP rate limit or connection cap then
// throttles the attackers, not the phone on 127.0.0.1.
func fromAddr(ip string, conns int) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{
		Transport: &http.Transport{
			DialContext: d.DialContext, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns,
			DisableCompression: true,
		},
		Timeout: 30 * time.Second,
	}
}

// dialFrom opens a TCP connection from the loopback address ip.
func dialFrom(ip, addr string) (net.Conn, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return d.Dial("tcp", addr)
}

// attackerIP is the n-th attacker address: 127.0.0.2 ... 127.0.0.251,
// then 127.0.1.2 ...: never 127.0.0.1, the phone's.
func attackerIP(n int) string {
	return fmt.Sprintf("127.0.%d.%d", n/250, 2+n%250)
}

// phoneInterval is how often the phone posts: a busy phone, yet within
// the listener's default rate limit (-rate 2 per second per address).
const phoneInterval = 600 * time.Millisecond

// phone posts a real M-Send.req from 127.0.0.1 every interval until ctx
// ends, each with its own Transaction-Id and, as a phone does for each
// MMS, over a new connection; it times each answer.
type phone struct {
	p        *e2eProc
	pdu      []byte
	mu       sync.Mutex
	lat      []time.Duration
	acked    []stored
	failures []string
}

func (ph *phone) run(ctx context.Context, interval time.Duration) {
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 30 * time.Second}
	for i := 0; ctx.Err() == nil; i++ {
		pdu := withTID(ph.pdu, fmt.Sprintf("phone-%d", i))
		start := time.Now()
		a, ok := ack(hc, ph.p.addr, pdu)
		d := time.Since(start)
		ph.mu.Lock()
		ph.lat = append(ph.lat, d)
		if ok {
			ph.acked = append(ph.acked, a)
		} else {
			ph.failures = append(ph.failures, fmt.Sprintf("phone-%d after %v", i, d))
		}
		ph.mu.Unlock()
		select {
		case <-ctx.Done():
		case <-time.After(interval):
		}
	}
}

// ack posts pdu with hc and returns what was stored if the answer is an
// Ok M-Send.conf for its Transaction-Id.
func ack(hc *http.Client, addr string, pdu []byte) (stored, bool) {
	r, err := send(hc, addr, http.MethodPost, openPath, "application/vnd.wap.mms-message", pdu)
	if err != nil {
		return stored{}, false
	}
	c, err := mms.Decode(r.Body)
	tid, _ := reqHead(pdu)
	if r.Code != http.StatusOK || err != nil || c.ResponseStatus != mms.StatusOk || c.TransactionID != tid || c.MessageID == "" {
		return stored{}, false
	}
	return stored{ID: c.MessageID, TID: tid, SHA256: sum(pdu)}, true
}

// report returns the count, median and maximum latency, and what failed.
func (ph *phone) report() (n int, p50, worst time.Duration, acked []stored, failures []string) {
	ph.mu.Lock()
	defer ph.mu.Unlock()
	lat := slices.Clone(ph.lat)
	slices.Sort(lat)
	if len(lat) > 0 {
		p50, worst = lat[len(lat)/2], lat[len(lat)-1]
	}
	return len(lat), p50, worst, slices.Clone(ph.acked), slices.Clone(ph.failures)
}

// confStatus decodes an M-Send.conf and returns its Response-Status, or
// an error for anything else.
func confStatus(r e2eReply) (mms.ResponseStatus, error) {
	if r.Code != http.StatusOK {
		return 0, fmt.Errorf("HTTP %d %q", r.Code, r.Body)
	}
	c, err := mms.Decode(r.Body)
	if err != nil {
		return 0, err
	}
	if c.Type != mms.TypeSendConf {
		return 0, fmt.Errorf("reply type %v", c.Type)
	}
	return c.ResponseStatus, nil
}

// tempFiles lists the temporary files under dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	var tmp []string
	for rel, h := range snapshot(t, dir) {
		if h != "dir" && isTempName(filepath.Base(rel)) {
			tmp = append(tmp, rel)
		}
	}
	return tmp
}

// isTempName tells a temporary file by its name: the store's are .tmp-*,
// and any other writer's "tmp" or "~" counts too.
func isTempName(base string) bool {
	return strings.Contains(strings.ToLower(base), "tmp") || strings.HasSuffix(base, "~")
}
