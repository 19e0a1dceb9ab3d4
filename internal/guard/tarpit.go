package guard

import (
	"net"
	"sync"
	"syscall"
	"time"
)

// Defaults of the tarpit (ConnConfig.Tarpit, TarpitFor). DefaultTarpit
// is lowered to a quarter of the process's file descriptor limit when
// that is less than four times it.
const (
	DefaultTarpit    = 4096
	DefaultTarpitFor = 10 * time.Second
)

// defaultTarpit is DefaultTarpit within the file descriptor limit. Go
// raises the soft limit to the hard one at start (systemd's default hard
// limit is 524288), so this is DefaultTarpit but where the limit is kept
// low on purpose.
func defaultTarpit() int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return DefaultTarpit / 8
	}
	return int(min(DefaultTarpit, lim.Cur/4))
}

// tarpit holds connections the listener will not serve, unread, for a
// while before closing them. An attacker whose connection is closed at
// once opens the next one at once: thousands of them then wait in the
// kernel's accept queue ahead of a phone's, and the phone waits for the
// listener to accept and close each (measured: with 3,200 slowloris
// connections from 200 addresses the phone's median wait was 0.77 s, 3 ms
// with the tarpit; see the package doc). Held, the attacker's connection
// looks alive and costs one file descriptor, no goroutine and no buffer.
//
// The tarpit is a queue in arrival order. When it is full, the oldest
// connection is closed to make room: most likely one whose client has
// gone on to something else, whose close costs nothing.
type tarpit struct {
	max  int
	hold time.Duration
	now  func() time.Time

	mu    sync.Mutex
	queue []held // oldest first
	timer *time.Timer
}

type held struct {
	c     net.Conn
	until time.Time
}

// take holds c until hold after since (when it was accepted, or
// answered): a connection is not kept longer in all than the hold. With
// no room at all (max 0), or past that time, it closes c at once.
func (t *tarpit) take(c net.Conn, since time.Time) {
	now := t.now()
	until := since.Add(t.hold)
	if t.max <= 0 || !now.Before(until) {
		c.Close()
		return
	}
	t.mu.Lock()
	out := t.expired(now)
	if len(t.queue) >= t.max {
		out = append(out, t.queue[0].c)
		t.queue = t.queue[1:]
	}
	t.queue = append(t.queue, held{c, until})
	if t.timer == nil {
		t.timer = time.AfterFunc(until.Sub(now), t.sweep)
	}
	t.mu.Unlock()
	for _, c := range out {
		c.Close()
	}
}

// expired takes the connections held long enough off the queue: those
// at its head (connections come in nearly in the order of their until;
// one held a little long waits for those ahead of it). The caller holds
// t.mu.
func (t *tarpit) expired(now time.Time) []net.Conn {
	var out []net.Conn
	for len(t.queue) > 0 && !now.Before(t.queue[0].until) {
		out = append(out, t.queue[0].c)
		t.queue[0] = held{}
		t.queue = t.queue[1:]
	}
	if len(t.queue) == 0 {
		t.queue = nil // let the array go
	}
	return out
}

// sweep closes what was held long enough and waits for the next one.
func (t *tarpit) sweep() {
	now := t.now()
	t.mu.Lock()
	out := t.expired(now)
	if len(t.queue) > 0 {
		t.timer.Reset(max(t.queue[0].until.Sub(now), time.Millisecond))
	} else {
		t.timer = nil
	}
	t.mu.Unlock()
	for _, c := range out {
		c.Close()
	}
}

// held is how many connections the tarpit holds.
func (t *tarpit) held() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.queue)
}
