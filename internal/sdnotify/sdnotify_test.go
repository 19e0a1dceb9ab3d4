package sdnotify

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// listen opens a unixgram socket at name (a path, or "@…" for the
// abstract namespace) as systemd does, and returns a getenv that points
// NOTIFY_SOCKET at it.
func listen(t *testing.T, name string) (*net.UnixConn, func(string) string) {
	t.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, func(k string) string {
		if k == "NOTIFY_SOCKET" {
			return name
		}
		return ""
	}
}

// recv reads one datagram, or fails after a few seconds.
func recv(t *testing.T, c *net.UnixConn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatalf("no datagram: %v", err)
	}
	return string(buf[:n])
}

// socketPath is a short path: sun_path holds 108 bytes and t.TempDir
// names can be longer.
func socketPath(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sdn")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "notify")
}

func TestMessagesOverPathSocket(t *testing.T) {
	c, getenv := listen(t, socketPath(t))
	n, err := New(getenv)
	if err != nil || !n.Enabled() {
		t.Fatalf("New = %v, enabled %v", err, n.Enabled())
	}
	for _, tc := range []struct {
		send func() error
		want string
	}{
		{func() error { return n.Send("READY=1") }, "READY=1"},
		{func() error { return n.Send("STATUS=" + Line("serving\n12 messages")) }, "STATUS=serving 12 messages"},
		{func() error { return n.Send("WATCHDOG=1") }, "WATCHDOG=1"},
		{func() error { return n.Send("STOPPING=1") }, "STOPPING=1"},
		{func() error { return n.Send("READY=1", "STATUS=up") }, "READY=1\nSTATUS=up"},
	} {
		if err := tc.send(); err != nil {
			t.Fatalf("send %q: %v", tc.want, err)
		}
		if got := recv(t, c); got != tc.want {
			t.Errorf("datagram %q, want %q", got, tc.want)
		}
	}
}

func TestAbstractSocket(t *testing.T) {
	name := fmt.Sprintf("@homemmsc/sdnotify-test/%d/%d", os.Getpid(), time.Now().UnixNano())
	c, getenv := listen(t, name)
	n, err := New(getenv)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Send("READY=1"); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, c); got != "READY=1" {
		t.Errorf("datagram %q, want READY=1", got)
	}
	// Nothing was created on disk: '@' is not a path.
	if _, err := os.Stat(name); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stat %q: %v, want not exist", name, err)
	}
}

func TestConcurrentSends(t *testing.T) {
	c, getenv := listen(t, socketPath(t))
	n, _ := New(getenv)
	const senders = 8
	var wg sync.WaitGroup
	for range senders {
		wg.Go(func() {
			if err := n.Send("WATCHDOG=1"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for range senders {
		if got := recv(t, c); got != "WATCHDOG=1" {
			t.Errorf("datagram %q", got)
		}
	}
}

func TestNoSocketIsNoOp(t *testing.T) {
	n, err := New(func(string) string { return "" })
	if err != nil || n.Enabled() {
		t.Fatalf("New without NOTIFY_SOCKET = %v, enabled %v", err, n.Enabled())
	}
	for _, a := range []string{"READY=1", "STOPPING=1", "WATCHDOG=1", "STATUS=x"} {
		if err := n.Send(a); err != nil {
			t.Errorf("no-op send: %v", err)
		}
	}
	var zero *Notifier
	if zero.Enabled() || zero.Send("READY=1") != nil {
		t.Error("a nil Notifier is not a no-op")
	}
}

func TestUnsupportedSocket(t *testing.T) {
	n, err := New(func(string) string { return "vsock:2:1234" })
	if !errors.Is(err, ErrUnsupported) {
		t.Fatalf("err = %v, want ErrUnsupported", err)
	}
	if n.Enabled() || n.Send("READY=1") != nil {
		t.Error("an unsupported socket must leave a working no-op Notifier")
	}
}

func TestSendToMissingSocketFails(t *testing.T) {
	path := socketPath(t) // its directory exists, the socket does not
	n, _ := New(func(string) string { return path })
	if err := n.Send("READY=1"); err == nil {
		t.Error("READY=1 to a socket nobody listens on succeeded")
	}
}

func TestWatchdogInterval(t *testing.T) {
	const pid = 4242
	for _, tc := range []struct {
		usec, wpid string
		want       time.Duration
		ok         bool
	}{
		{"90000000", "", 90 * time.Second, true},
		{"90000000", "4242", 90 * time.Second, true},
		{"500", "4242", 500 * time.Microsecond, true},
		{"90000000", "4243", 0, false}, // another process's watchdog
		{"90000000", "x", 0, false},
		{"", "4242", 0, false},
		{"0", "", 0, false},
		{"-5", "", 0, false},
		{"1.5", "", 0, false},
		{"18446744073709551615", "", 0, false}, // overflows a Duration
	} {
		getenv := func(k string) string {
			switch k {
			case "WATCHDOG_USEC":
				return tc.usec
			case "WATCHDOG_PID":
				return tc.wpid
			}
			return ""
		}
		got, ok := WatchdogInterval(getenv, pid)
		if got != tc.want || ok != tc.ok {
			t.Errorf("WATCHDOG_USEC=%q WATCHDOG_PID=%q: %v %v, want %v %v", tc.usec, tc.wpid, got, ok, tc.want, tc.ok)
		}
	}
}
