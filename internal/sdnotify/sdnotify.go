package sdnotify

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// ErrUnsupported is returned for a NOTIFY_SOCKET this package cannot
// reach: systemd can also hand out AF_VSOCK addresses ("vsock:CID:PORT")
// to virtual machines, which a Pi never runs under.
var ErrUnsupported = errors.New("sdnotify: unsupported NOTIFY_SOCKET")

// Notifier sends state changes to systemd. The zero value, and one made
// without NOTIFY_SOCKET, does nothing. It is safe for concurrent use: each
// Send is one datagram on its own socket, as sd_notify does.
type Notifier struct {
	addr *net.UnixAddr // nil: not under a notify-aware supervisor
}

// New returns a Notifier for the NOTIFY_SOCKET that getenv (os.Getenv in
// main) reports. An empty variable gives a no-op Notifier.
func New(getenv func(string) string) (*Notifier, error) {
	path := getenv("NOTIFY_SOCKET")
	switch {
	case path == "":
		return &Notifier{}, nil
	case path[0] != '/' && path[0] != '@':
		return &Notifier{}, fmt.Errorf("%w: %q", ErrUnsupported, path)
	}
	return &Notifier{addr: &net.UnixAddr{Name: path, Net: "unixgram"}}, nil
}

// Enabled reports whether there is a socket to notify.
func (n *Notifier) Enabled() bool { return n != nil && n.addr != nil }

// Send sends the assignments ("READY=1", "STATUS=…") in one datagram.
// It does nothing when the Notifier is not Enabled.
func (n *Notifier) Send(assignments ...string) error {
	if !n.Enabled() {
		return nil
	}
	conn, err := net.DialUnix("unixgram", nil, n.addr)
	if err != nil {
		return fmt.Errorf("sdnotify: %w", err)
	}
	defer conn.Close()
	msg := strings.Join(assignments, "\n")
	if _, err := conn.Write([]byte(msg)); err != nil {
		return fmt.Errorf("sdnotify: %w", err)
	}
	return nil
}

// Line makes text safe as the value of one assignment (such as STATUS=,
// the one line `systemctl status` shows): line breaks would end the
// assignment and start another, so they become spaces.
func Line(text string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, text)
}

// WatchdogInterval returns systemd's watchdog interval (WatchdogSec=) and
// true when WATCHDOG_USEC is a positive number of microseconds and
// WATCHDOG_PID is either unset or pid; else 0 and false.
func WatchdogInterval(getenv func(string) string, pid int) (time.Duration, bool) {
	usec, err := strconv.ParseUint(getenv("WATCHDOG_USEC"), 10, 64)
	if err != nil || usec == 0 || usec > uint64(1<<63-1)/uint64(time.Microsecond) {
		return 0, false
	}
	if p := getenv("WATCHDOG_PID"); p != "" {
		if got, err := strconv.Atoi(p); err != nil || got != pid {
			return 0, false
		}
	}
	return time.Duration(usec) * time.Microsecond, true
}
