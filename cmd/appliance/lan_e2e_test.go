package main_test

// End-to-end tests of the LAN listener and the MMSC listener's guards
// (issue 5): the real binary with -lan, /healthz and /metrics there and
// nowhere else, counters that follow what was posted, and the limits of
// the internet-facing listener.

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/metrics/metricstest"
	"github.com/homemmsc/homemmsc/internal/mms"
)

// loadFromOneClient turns off the per-client guards for tests that post a
// load from one address (the loopback): the guards exist to refuse that.
var loadFromOneClient = []string{"-rate=0", "-conns-per-client=0"}

func TestLANE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped with -short")
	}
	bin := e2eBuild(t, t.TempDir(), "lan-e2e")
	corpus := e2eCorpus(t)
	t.Run("HealthzAndMetrics", func(t *testing.T) { testLANEndpoints(t, bin, corpus) })
	t.Run("HealthzFailing", func(t *testing.T) { testHealthzFailing(t, bin) })
	t.Run("Inbox", func(t *testing.T) { testInbox(t, bin, corpus) }) // inbox_e2e_test.go
	t.Run("LANGuards", func(t *testing.T) { testLANGuards(t, bin) })
}

// testLANGuards: the LAN listener has caps of its own: a 17th connection
// from one address is refused and counted, and another address is still
// served.
func testLANGuards(t *testing.T, bin string) {
	_, cwd, data := dirs(t)
	lan := freeAddr(t)
	e2eStart(t, bin, cwd, data, "-lan", lan)
	waitHealthy(t, lan)
	for range 16 {
		c, err := dialFrom("127.0.0.5", lan)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	c, err := dialFrom("127.0.0.5", lan)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for value(t, scrape(t, lan), `homemmsc_lan_refused_total{reason="connection_cap"}`) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("a 17th LAN connection from one address was not refused")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// testLANEndpoints: /healthz and /metrics on -lan, 404 on -listen; the
// counters follow posts, refusals, the rate limit, the header cap and the
// connection cap; one address over its caps does not stop another.
func testLANEndpoints(t *testing.T, bin, corpus string) {
	_, cwd, data := dirs(t)
	lan := freeAddr(t)
	// A burst of 6 and almost no refill: the 7th request is refused,
	// however slow the machine.
	p := e2eStart(t, bin, cwd, data, "-lan", lan, "-rate", "0.001", "-rate-burst", "6", "-conns-per-client", "3")
	waitHealthy(t, lan)
	if m := scrape(t, lan); value(t, m, "homemmsc_mms_received_total") != 0 || value(t, m, "homemmsc_store_messages") != 0 {
		t.Fatalf("fresh appliance counts messages:\n%s", m)
	}
	pdu := e2eRead(t, corpus, "python-messaging__iPhone.mms")
	var posted float64
	postOK := func(who *e2eProc, tid string) {
		t.Helper()
		body := withTID(pdu, tid)
		r, err := who.post(openPath, body)
		if err != nil {
			t.Fatal(err)
		}
		if checkConf(t, tid, r, tid, mms.Version12, mms.StatusOk) != nil {
			posted += float64(len(body))
		}
	}
	postOK(p, "lan-e2e-1") // 1st request of the burst
	if r, err := p.post(openPath, []byte{0x8C, 0x80, 0x98}); err != nil || r.Code != 200 {
		t.Fatalf("corrupt PDU: %v %d", err, r.Code)
	}
	for _, path := range []string{"/metrics", "/healthz"} { // 3rd, 4th
		if code := get(t, p.client, "http://"+p.addr+path).Code; code != http.StatusNotFound {
			t.Errorf("GET %s on -listen: %d, want 404", path, code)
		}
	}
	if code := postHeaders(t, p, 150); code != http.StatusRequestHeaderFieldsTooLarge { // 5th
		t.Errorf("150 header lines: %d, want 431", code)
	}
	postOK(p, "lan-e2e-2") // 6th
	r, err := p.post(openPath, withTID(pdu, "lan-e2e-3"))
	if err != nil || r.Code != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Errorf("7th request: %v, HTTP %d Retry-After %q; want 429 with Retry-After", err, r.Code, r.Header.Get("Retry-After"))
	}
	testConnCap(t, p, lan)
	other := fromAddress(p, "127.0.0.2") // its own bucket and connection count
	postOK(other, "lan-e2e-4")

	m := scrape(t, lan)
	for series, want := range map[string]float64{
		"homemmsc_mms_received_total":                                                  3,
		"homemmsc_mms_received_bytes_total":                                            posted,
		`homemmsc_mms_refused_total{reason="corrupt"}`:                                 1,
		`homemmsc_mms_refused_total{reason="rate_limited"}`:                            1,
		`homemmsc_mms_refused_total{reason="too_many_headers"}`:                        1,
		`homemmsc_mms_refused_total{reason="forbidden"}`:                               0,
		"homemmsc_mmsc_connections_refused_total":                                      1,
		"homemmsc_store_messages":                                                      3,
		"homemmsc_store_unseen_messages":                                               3,
		`homemmsc_build_info{version="lan-e2e",goversion="` + runtime.Version() + `"}`: 1,
	} {
		if got := value(t, m, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	metricstest.PromtoolCheck(t, []byte(m))
	p.stop()
	if !strings.Contains(p.log.String(), "clock_synced=") {
		t.Error("the startup line does not say whether the clock is synced")
	}
}

// testConnCap: with -conns-per-client 3, a 4th idle connection from one
// address is refused at once (held, then closed without an answer).
func testConnCap(t *testing.T, p *e2eProc, lan string) {
	t.Helper()
	p.client.CloseIdleConnections()
	waitMetric(t, lan, "homemmsc_mmsc_connections_open", 0)
	for range 3 {
		c, err := net.Dial("tcp", p.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	waitMetric(t, lan, "homemmsc_mmsc_connections_open", 3)
	c, err := net.Dial("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Refused, it is held unread in the tarpit (internal/guard) and
	// closed without an answer when the tarpit lets it go, 10 s on (a
	// reset: the request is unread).
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	n, err := c.Read(make([]byte, 1))
	if ne := net.Error(nil); n != 0 || err == nil || errors.As(err, &ne) && ne.Timeout() {
		t.Errorf("4th connection from one address: read %d bytes, %v; want it closed without an answer", n, err)
	}
}

// testHealthzFailing: a store whose filesystem stops taking writes, as
// ext4 mounted errors=remount-ro does after an I/O error, makes /healthz
// 503 with the reason. The check writes nothing, so only a real
// filesystem shows it: an ext4 image (root only) whose error is
// triggered through /sys/fs/ext4/<dev>/trigger_fs_error.
func testHealthzFailing(t *testing.T, bin string) {
	mnt := mountExt4(t, 64, "-e", "remount-ro")
	_, cwd, _ := dirs(t)
	data := filepath.Join(mnt, "data")
	lan := freeAddr(t)
	e2eStart(t, bin, cwd, data, "-lan", lan)
	// No /healthz before the error: its first request runs the check.
	out, err := exec.Command("findmnt", "-n", "-o", "SOURCE", mnt).Output()
	if err != nil {
		t.Fatalf("findmnt %s: %v", mnt, err)
	}
	trigger := filepath.Join("/sys/fs/ext4", filepath.Base(strings.TrimSpace(string(out))), "trigger_fs_error")
	if err := os.WriteFile(trigger, []byte("homemmsc test\n"), 0o200); err != nil {
		t.Fatalf("ext4 error: %v", err)
	}
	r := get(t, http.DefaultClient, "http://"+lan+"/healthz")
	var rep struct {
		Status   string
		Problems []string
	}
	if err := json.Unmarshal(r.Body, &rep); err != nil {
		t.Fatalf("/healthz body %q: %v", r.Body, err)
	}
	if r.Code != http.StatusServiceUnavailable || rep.Status != "failing" || len(rep.Problems) != 1 ||
		!strings.Contains(rep.Problems[0], "store not writable") {
		t.Errorf("/healthz: %d %+v, want 503 saying the store is not writable", r.Code, rep)
	}
}

// freeAddr is a loopback address with a port free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func get(t *testing.T, c *http.Client, url string) e2eReply {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatal(err)
	}
	return e2eReply{resp.StatusCode, resp.Header, b}
}

// waitHealthy waits for the LAN listener to answer /healthz with 200:
// e2eStart waited for -listen only.
func waitHealthy(t *testing.T, lan string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + lan + "/healthz")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 && strings.Contains(string(b), `"status":"ok"`) {
				return
			}
			t.Fatalf("/healthz: %d %s", resp.StatusCode, b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("LAN listener not answering: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func scrape(t *testing.T, lan string) string {
	t.Helper()
	r := get(t, http.DefaultClient, "http://"+lan+"/metrics")
	if r.Code != 200 || r.Header.Get("Content-Type") != "text/plain; version=0.0.4; charset=utf-8" {
		t.Fatalf("/metrics: %d %q", r.Code, r.Header.Get("Content-Type"))
	}
	return string(r.Body)
}

// value is the value of one series (name and labels as written); -1 when
// absent, which fails the test.
func value(t *testing.T, text, series string) float64 {
	t.Helper()
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return f
		}
	}
	t.Errorf("no series %s", series)
	return -1
}

// waitMetric waits (up to 5 s) for a gauge to reach want: the server
// sees connections come and go a moment after the client.
func waitMetric(t *testing.T, lan, series string, want float64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := value(t, scrape(t, lan), series)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s = %v, want %v", series, got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// postHeaders posts a request of n header lines and returns the status.
func postHeaders(t *testing.T, p *e2eProc, n int) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+p.addr+openPath, strings.NewReader("x"))
	req.Header.Set("Content-Type", "application/vnd.wap.mms-message")
	for i := range n {
		req.Header.Set("X-Filler-"+strconv.Itoa(i), "1")
	}
	resp, err := p.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// fromAddress is p seen from another loopback source address (a different
// client to the guards).
func fromAddress(p *e2eProc, src string) *e2eProc {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	q := *p
	q.client = &http.Client{Transport: &http.Transport{DialContext: d.DialContext}, Timeout: 30 * time.Second}
	return &q
}
