package guard

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/faketime"
)

func TestClientKey(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.7:5000":             "192.0.2.7",
		"192.0.2.7":                  "192.0.2.7",
		"[::ffff:192.0.2.7]:80":      "192.0.2.7",
		"[2001:db8:1:2:3:4:5:6]:443": "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::1]:1":   "2001:db8:1:2::/64",
		"[fe80::1%eth0]:80":          "fe80::/64",
		"not an address":             "not an address",
		"@":                          "@",
	} {
		if got := ClientKey(in); got != want {
			t.Errorf("ClientKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRateLimiterBucket(t *testing.T) {
	clk := faketime.New(time.Unix(1e9, 0))
	l := NewRateLimiter(RateConfig{Rate: 2, Burst: 3, Now: clk.Now})
	for i := range 3 {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, wait := l.Allow("a")
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("4th request: ok %v wait %v, want refused for 500ms", ok, wait)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Fatal("another client shares a's bucket")
	}
	clk.Add(499 * time.Millisecond)
	if ok, _ := l.Allow("a"); ok {
		t.Fatal("allowed before a token was back")
	}
	clk.Add(time.Millisecond)
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("refused once a token was back")
	}
	clk.Add(time.Hour) // refills to Burst, not beyond
	for i := range 3 {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("after an hour, request %d refused", i+1)
		}
	}
	if ok, _ := l.Allow("a"); ok {
		t.Fatal("bucket grew beyond Burst")
	}
}

func TestRateLimiterTableBounded(t *testing.T) {
	clk := faketime.New(time.Unix(1e9, 0))
	l := NewRateLimiter(RateConfig{Rate: 1, Burst: 1, MaxClients: 2, Now: clk.Now})
	l.Allow("a")
	l.Allow("b")
	l.Allow("a") // refused, and a is now the most recent
	l.Allow("c") // evicts b, the least recent
	if l.Len() != 2 {
		t.Fatalf("table holds %d clients, want 2", l.Len())
	}
	if ok, _ := l.Allow("a"); ok {
		t.Error("a was evicted instead of b")
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Error("b was not forgotten (a forgotten client starts with a full bucket)")
	}
	for i := range 10000 {
		l.Allow(strconv.Itoa(i))
	}
	if l.Len() != 2 {
		t.Errorf("after 10000 clients the table holds %d", l.Len())
	}
}

// failBody fails the test if the handler reads the body.
type failBody struct{ t *testing.T }

func (b failBody) Read([]byte) (int, error) {
	b.t.Error("body read by a refused request")
	return 0, io.EOF
}

func TestRateLimiterWrap(t *testing.T) {
	clk := faketime.New(time.Unix(1e9, 0))
	var limited atomic.Int32
	l := NewRateLimiter(RateConfig{Rate: 0.25, Burst: 1, Now: clk.Now, OnLimited: func(*http.Request) { limited.Add(1) }})
	served := 0
	h := l.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { served++ }))
	req := func() *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/mms/x", failBody{t})
		r.RemoteAddr = "198.51.100.9:4000"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec
	}
	if rec := req(); rec.Code != 200 || served != 1 {
		t.Fatalf("first request: %d, served %d", rec.Code, served)
	}
	rec := req()
	if rec.Code != http.StatusTooManyRequests || served != 1 {
		t.Fatalf("second request: %d, served %d; want 429 unserved", rec.Code, served)
	}
	if ra := rec.Header().Get("Retry-After"); ra != "4" {
		t.Errorf("Retry-After %q, want 4 (one token at 0.25/s)", ra)
	}
	if rec.Header().Get("Connection") != "close" || limited.Load() != 1 {
		t.Errorf("Connection %q, OnLimited %d", rec.Header().Get("Connection"), limited.Load())
	}
}

func TestMaxHeaders(t *testing.T) {
	var refused int
	h := MaxHeaders(5, func(*http.Request) { refused++ }, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for n, want := range map[int]int{5: 200, 6: http.StatusRequestHeaderFieldsTooLarge} {
		r := httptest.NewRequest(http.MethodPost, "/", failBody{t})
		for i := range n - 1 {
			r.Header.Add("X-H"+strconv.Itoa(i), "v")
		}
		r.Header.Add("X-H0", "repeated values count")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != want {
			t.Errorf("%d header lines: %d, want %d", n, rec.Code, want)
		}
	}
	if refused != 1 {
		t.Errorf("onRefused called %d times, want 1", refused)
	}
}

// acceptAll runs Accept in the background and hands out what it returns.
func acceptAll(t *testing.T, l *Listener) <-chan net.Conn {
	t.Helper()
	conns := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				close(conns)
				return
			}
			conns <- c
		}
	}()
	t.Cleanup(func() { l.Close() })
	return conns
}

// dialFrom connects to addr from the local address src (any 127/8
// address is this host on Linux).
func dialFrom(t *testing.T, src, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedByPeer reports whether the server closed c without a byte.
func closedByPeer(t *testing.T, c net.Conn) bool {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := c.Read(make([]byte, 1))
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	return err != nil
}

func TestLimitListenerPerClient(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusedc := make(chan string, 4)
	l := LimitListener(ln, ConnConfig{PerClient: 2, Tarpit: -1, OnRefused: func(k string) { refusedc <- k }})
	conns := acceptAll(t, l)
	addr := ln.Addr().String()
	dialFrom(t, "127.0.0.1", addr)
	dialFrom(t, "127.0.0.1", addr)
	s1, s2 := <-conns, <-conns
	third := dialFrom(t, "127.0.0.1", addr)
	if !closedByPeer(t, third) {
		t.Fatal("a third connection from one client was not closed")
	}
	if k := <-refusedc; k != "127.0.0.1" {
		t.Errorf("OnRefused got %q", k)
	}
	dialFrom(t, "127.0.0.2", addr) // another client is not affected
	other := <-conns
	if total, mine := l.Open("127.0.0.1"); total != 3 || mine != 2 {
		t.Errorf("open: total %d, client %d; want 3, 2", total, mine)
	}
	s1.Close()
	s1.Close() // a second Close does not give a second slot back
	dialFrom(t, "127.0.0.1", addr)
	s3 := <-conns
	if total, mine := l.Open("127.0.0.1"); total != 3 || mine != 2 {
		t.Errorf("after one closed and one more: total %d, client %d; want 3, 2", total, mine)
	}
	for _, c := range []net.Conn{s2, s3, other} {
		c.Close()
	}
	if total, _ := l.Open("127.0.0.1"); total != 0 {
		t.Errorf("all closed, %d still counted", total)
	}
}

func TestLimitListenerTotal(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := LimitListener(ln, ConnConfig{PerClient: 5, Total: 2, Tarpit: -1})
	conns := acceptAll(t, l)
	addr := ln.Addr().String()
	dialFrom(t, "127.0.0.1", addr)
	dialFrom(t, "127.0.0.2", addr)
	<-conns
	<-conns
	if c := dialFrom(t, "127.0.0.3", addr); !closedByPeer(t, c) {
		t.Fatal("a connection over the total was not closed")
	}
}

func TestLimitListenerAcceptError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Unix(1e9, 0)
	l := LimitListener(ln, ConnConfig{Now: func() time.Time { return at }})
	if when, err := l.LastAcceptError(); err != nil || !when.IsZero() {
		t.Fatalf("fresh listener: %v at %v", err, when)
	}
	l.Close()
	if _, err := l.Accept(); err == nil {
		t.Fatal("Accept on a closed listener succeeded")
	}
	if when, err := l.LastAcceptError(); err == nil || !when.Equal(at) || !strings.Contains(err.Error(), "closed") {
		t.Errorf("after close: %v at %v", err, when)
	}
}
