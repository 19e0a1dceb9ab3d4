package guard

import (
	"net"
	"sync"
	"time"
)

// Defaults of ConnConfig.
const (
	DefaultPerClient = 16  // a household's phones behind one carrier NAT, with room
	DefaultTotal     = 256 // well under the 1024 file descriptors a service starts with
)

// ConnConfig configures LimitListener.
type ConnConfig struct {
	PerClient int // open connections per client (see ClientKey); if zero, DefaultPerClient
	Total     int // open connections in all; if zero, DefaultTotal
	// OnRefused, if set, is called with the client of each connection
	// closed for being over a cap; it must not block.
	OnRefused func(client string)
	Now       func() time.Time // if nil, time.Now; stamps accept errors
}

// Listener caps open connections per client and in total. Connections over
// a cap are closed as soon as they are accepted, and Accept goes on to the
// next one.
type Listener struct {
	net.Listener
	cfg ConnConfig

	mu      sync.Mutex
	open    map[string]int
	total   int
	lastErr error
	errAt   time.Time
}

// LimitListener wraps ln.
func LimitListener(ln net.Listener, cfg ConnConfig) *Listener {
	if cfg.PerClient <= 0 {
		cfg.PerClient = DefaultPerClient
	}
	if cfg.Total <= 0 {
		cfg.Total = DefaultTotal
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Listener{Listener: ln, cfg: cfg, open: map[string]int{}}
}

// Accept returns the next connection within the caps.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			l.mu.Lock()
			l.lastErr, l.errAt = err, l.cfg.Now()
			l.mu.Unlock()
			return nil, err
		}
		key := ClientKey(c.RemoteAddr().String())
		if l.admit(key) {
			return &conn{Conn: c, l: l, key: key}, nil
		}
		if l.cfg.OnRefused != nil {
			l.cfg.OnRefused(key) // before the close the client sees
		}
		c.Close()
	}
}

func (l *Listener) admit(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.total >= l.cfg.Total || l.open[key] >= l.cfg.PerClient {
		return false
	}
	l.total++
	l.open[key]++
	return true
}

func (l *Listener) release(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.open[key]--; l.open[key] <= 0 {
		delete(l.open, key)
	}
}

// Open is how many connections are open, in all and for client.
func (l *Listener) Open(client string) (total, ofClient int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total, l.open[client]
}

// LastAcceptError is when Accept last failed (such as EMFILE, too many
// open files) and why; err is nil if it never did.
func (l *Listener) LastAcceptError() (at time.Time, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.errAt, l.lastErr
}

// conn gives its slot back once, on the first Close.
type conn struct {
	net.Conn
	l    *Listener
	key  string
	once sync.Once
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.key) })
	return err
}
