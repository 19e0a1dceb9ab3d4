package guard

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// served runs an http.Server on l, hooked, whose handler answers 200,
// blocks while a request carries "X-Block" until release is closed, and
// refuses with CloseUnread a POST to /refuse.
func served(t *testing.T, l *Listener) (release chan struct{}) {
	t.Helper()
	release = make(chan struct{})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Block") != "" {
			<-release
		}
		if r.URL.Path == "/refuse" {
			CloseUnread(w, r)
			w.WriteHeader(http.StatusForbidden)
			return
		}
		io.WriteString(w, "ok")
	})}
	l.Hook(srv)
	go srv.Serve(l)
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
		srv.Close()
	})
	return release
}

// waitOpen waits until the listener counts total connections: Accept
// runs in the server's goroutine.
func waitOpen(t *testing.T, l *Listener, total int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if n, _ := l.Open(""); n == total {
			return
		}
	}
	n, _ := l.Open("")
	t.Fatalf("listener counts %d connections, want %d", n, total)
}

// get sends a GET on c and returns the status, or an error if the server
// closed c instead.
func get(c net.Conn, header string) (int, error) {
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\n%s\r\n", header)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func newLimit(t *testing.T, cfg ConnConfig) (*Listener, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := LimitListener(ln, cfg)
	return l, ln.Addr().String()
}

// TestLimitListenerEvicts: a full listener makes room for a newcomer by
// closing the longest-waiting connection of the client holding the most;
// the newcomer is served.
func TestLimitListenerEvicts(t *testing.T) {
	var mu sync.Mutex
	var evicted []string
	l, addr := newLimit(t, ConnConfig{PerClient: 5, Total: 3, Tarpit: -1, OnEvicted: func(c string) {
		mu.Lock()
		evicted = append(evicted, c)
		mu.Unlock()
	}})
	served(t, l)
	a1 := dialFrom(t, "127.0.0.2", addr)
	waitOpen(t, l, 1)
	a2 := dialFrom(t, "127.0.0.2", addr)
	b1 := dialFrom(t, "127.0.0.3", addr)
	waitOpen(t, l, 3)
	c1 := dialFrom(t, "127.0.0.4", addr)
	if code, err := get(c1, ""); err != nil || code != 200 {
		t.Fatalf("newcomer on a full listener: %d %v, want served", code, err)
	}
	if !closedByPeer(t, a1) {
		t.Error("the oldest connection of the client holding the most was not evicted")
	}
	for name, c := range map[string]net.Conn{"a2": a2, "b1": b1} {
		if code, err := get(c, ""); err != nil || code != 200 {
			t.Errorf("%s: %d %v, want still served", name, code, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(evicted) != 1 || evicted[0] != "127.0.0.2" {
		t.Errorf("OnEvicted saw %q, want [127.0.0.2]", evicted)
	}
}

// TestLimitListenerBusyNotEvicted: a connection serving a request is
// never closed for a newcomer, and a newcomer whose client holds as many
// connections as any other is refused rather than taking a slot.
func TestLimitListenerBusyNotEvicted(t *testing.T) {
	l, addr := newLimit(t, ConnConfig{PerClient: 5, Total: 2, Tarpit: -1})
	release := served(t, l)
	busy := dialFrom(t, "127.0.0.2", addr)
	answered := make(chan error, 1)
	go func() { _, err := get(busy, "X-Block: 1\r\n"); answered <- err }()
	idle := dialFrom(t, "127.0.0.3", addr)
	waitOpen(t, l, 2)
	waitBusy(t, l, 1)
	// 127.0.0.4 holds none, 127.0.0.3 one waiting: 127.0.0.3's goes.
	if code, err := get(dialFrom(t, "127.0.0.4", addr), ""); err != nil || code != 200 {
		t.Fatalf("newcomer: %d %v", code, err)
	}
	if !closedByPeer(t, idle) {
		t.Error("the waiting connection was not evicted")
	}
	// Now 127.0.0.2 (busy) and 127.0.0.4 (idle, keep-alive) hold one
	// each: a newcomer from 127.0.0.4 does not take 127.0.0.2's slot nor
	// its own client's.
	if c := dialFrom(t, "127.0.0.4", addr); !closedByPeer(t, c) {
		t.Error("a newcomer of a client holding as many as any other was not refused")
	}
	close(release)
	if err := <-answered; err != nil {
		t.Errorf("the busy connection lost its request: %v", err)
	}
}

func waitBusy(t *testing.T, l *Listener, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		l.mu.Lock()
		busy := 0
		for c := range l.conns {
			if c.busy {
				busy++
			}
		}
		l.mu.Unlock()
		if busy == n {
			return
		}
	}
	t.Fatalf("no %d busy connections", n)
}

// TestCloseUnreadReleases: a refused POST's connection is answered and
// let go without its body being read, and its slot is free at once.
func TestCloseUnreadReleases(t *testing.T) {
	l, addr := newLimit(t, ConnConfig{PerClient: 5, Total: 2})
	served(t, l)
	c := dialFrom(t, "127.0.0.2", addr)
	fmt.Fprintf(c, "POST /refuse HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\nabc")
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || resp.StatusCode != http.StatusForbidden || !resp.Close {
		t.Fatalf("refused POST: %v %v", resp, err)
	}
	waitOpen(t, l, 0)
	for deadline := time.Now().Add(5 * time.Second); l.Held() != 1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("tarpit holds %d connections, want the refused one", l.Held())
		}
	}
}

// TestCloseWriteReleases: net/http's CloseWrite before its last half
// second gives the slot back.
func TestCloseWriteReleases(t *testing.T) {
	l, addr := newLimit(t, ConnConfig{})
	conns := acceptAll(t, l)
	dialFrom(t, "127.0.0.2", addr)
	c := <-conns
	if n, _ := l.Open(""); n != 1 {
		t.Fatalf("open %d", n)
	}
	c.(interface{ CloseWrite() error }).CloseWrite()
	if n, _ := l.Open(""); n != 0 {
		t.Errorf("after CloseWrite %d open, want 0", n)
	}
	c.Close()
	if n, _ := l.Open(""); n != 0 {
		t.Errorf("after Close %d open, want 0", n)
	}
}

// TestTarpit: a held connection is closed after the hold, and the oldest
// makes room when the tarpit is full.
func TestTarpit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		p := &tarpit{max: 2, hold: 10 * time.Second, now: time.Now}
		closedAt := make([]time.Duration, 3)
		for i := range closedAt {
			c, peer := net.Pipe()
			go func() { io.Copy(io.Discard, peer); closedAt[i] = time.Since(start) }()
			p.take(c, time.Now())
			time.Sleep(time.Second)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		// The third made the first go at 2 s; the others go 10 s after
		// they came.
		want := []time.Duration{2 * time.Second, 11 * time.Second, 12 * time.Second}
		for i := range want {
			if closedAt[i] != want[i] {
				t.Errorf("connection %d closed at %v, want %v", i, closedAt[i], want[i])
			}
		}
		if p.held() != 0 {
			t.Errorf("tarpit holds %d after the hold", p.held())
		}
		// A connection accepted a hold ago is not held at all.
		c, peer := net.Pipe()
		gone := make(chan struct{})
		go func() { io.Copy(io.Discard, peer); close(gone) }()
		p.take(c, time.Now().Add(-10*time.Second))
		synctest.Wait()
		select {
		case <-gone:
		default:
			t.Error("a connection accepted a hold ago was held")
		}
	})
}

// TestSummary: refusals come out as one line per kind per period, with
// the count of distinct clients.
func TestSummary(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf bytes.Buffer
		var mu sync.Mutex
		log := slog.New(slog.NewTextHandler(lockedWriter{&mu, &buf}, &slog.HandlerOptions{
			ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
				if a.Key == slog.TimeKey {
					return slog.Attr{}
				}
				return a
			}}))
		s := NewSummary(log, 10*time.Second)
		for i := range 1000 {
			s.Note("rate_limited", fmt.Sprintf("192.0.2.%d", i%7))
		}
		s.Note("forbidden", "192.0.2.1")
		time.Sleep(9 * time.Second)
		synctest.Wait()
		mu.Lock()
		if buf.Len() != 0 {
			t.Errorf("logged before the period was over: %s", buf.String())
		}
		mu.Unlock()
		time.Sleep(time.Second)
		synctest.Wait()
		mu.Lock()
		got := buf.String()
		buf.Reset()
		mu.Unlock()
		want := `level=WARN msg="guard: refused" what=forbidden count=1 clients=1 within=10s
level=WARN msg="guard: refused" what=rate_limited count=1000 clients=7 within=10s
`
		if got != want {
			t.Errorf("summary:\n%s\nwant:\n%s", got, want)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		if buf.Len() != 0 {
			t.Errorf("logged with nothing noted: %s", buf.String())
		}
		for i := range maxSummaryClients + 5 {
			s.Note("x", fmt.Sprint(i))
		}
		s.Flush()
		if !strings.Contains(buf.String(), "clients=1024 clients_capped=true") {
			t.Errorf("over the clients bound: %s", buf.String())
		}
	})
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestTooLarge: a request whose header block net/http itself refuses
// with 431 (over MaxHeaderBytes) reaches OnTooLarge; a served one, and
// the next request of a kept connection, do not.
func TestTooLarge(t *testing.T) {
	big := make(chan string, 4)
	l, addr := newLimit(t, ConnConfig{OnTooLarge: func(c string) { big <- c }})
	srv := &http.Server{MaxHeaderBytes: 1024, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})}
	l.Hook(srv)
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	kept := dialFrom(t, "127.0.0.2", addr)
	for range 2 {
		if code, err := get(kept, ""); err != nil || code != 200 {
			t.Fatalf("small request: %d %v", code, err)
		}
	}
	c := dialFrom(t, "127.0.0.3", addr)
	if code, err := get(c, "X-Big: "+strings.Repeat("x", 8<<10)+"\r\n"); err != nil || code != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("8 KiB header: %d %v, want 431", code, err)
	}
	select {
	case got := <-big:
		if got != "127.0.0.3" {
			t.Errorf("OnTooLarge got %q", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("OnTooLarge not called for net/http's 431")
	}
	select {
	case got := <-big:
		t.Errorf("OnTooLarge called again, for %q", got)
	default:
	}
}
