package guard

import (
	"context"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
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
	// refused for being over a cap; it must not block.
	OnRefused func(client string)
	// OnEvicted, if set, is called with the client of each waiting
	// connection closed to make room for another client's; it must not
	// block.
	OnEvicted func(client string)
	// OnTooLarge, if set, is called with the client of each request
	// net/http itself answered 431, its header block being over the
	// server's MaxHeaderBytes: no handler sees those (needs Hook). It
	// must not block.
	OnTooLarge func(client string)
	Now        func() time.Time // if nil, time.Now; stamps accept errors and idle times
	// Tarpit is how many refused or evicted connections are held open,
	// unread, for TarpitFor before they are closed (see tarpit.go); if
	// zero, DefaultTarpit; if negative, none: they are closed at once.
	Tarpit    int
	TarpitFor time.Duration // if zero, DefaultTarpitFor
}

// Listener caps open connections per client and in total. When the total
// is reached, a newcomer takes the slot of a connection that waits for a
// request (see the package doc) from a client holding more connections
// than the newcomer's; with none, or over its own client's cap, the
// newcomer is closed as soon as it is accepted, and Accept goes on to the
// next one.
type Listener struct {
	net.Listener
	cfg    ConnConfig
	hooked atomic.Bool // ConnState was called: connections' states are known
	pit    tarpit

	mu      sync.Mutex
	open    map[string]int     // per client
	conns   map[*conn]struct{} // every counted connection
	lastErr error
	errAt   time.Time
}

// LimitListener wraps ln. Call Hook on the http.Server that serves it:
// without the hook, connections are never evicted, and a full listener
// refuses newcomers.
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
	if cfg.Tarpit == 0 {
		cfg.Tarpit = defaultTarpit()
	}
	if cfg.TarpitFor <= 0 {
		cfg.TarpitFor = DefaultTarpitFor
	}
	return &Listener{Listener: ln, cfg: cfg, open: map[string]int{}, conns: map[*conn]struct{}{},
		pit: tarpit{max: cfg.Tarpit, hold: cfg.TarpitFor, now: cfg.Now}}
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
		now := l.cfg.Now()
		lc := &conn{Conn: c, l: l, key: ClientKey(c.RemoteAddr().String()), since: now, accepted: now}
		victim, v := l.admit(lc)
		if victim != nil {
			l.evict(victim)
		}
		if v == admitted {
			return lc, nil
		}
		if l.cfg.OnRefused != nil {
			l.cfg.OnRefused(lc.key) // before the close the client sees
		}
		if v == overTotal {
			// Every slot serves a request: not this client's doing.
			c.Close()
			continue
		}
		l.pit.take(c, lc.since)
	}
}

// evict ends victim's wait for a request, or its refused request. One
// that never had a request goes to the tarpit: its server goroutine's
// read fails at once and its Close is left to the tarpit. One whose
// request is being refused has its read cut short too: its handler
// answers at once, and its Close tarpits it. An idle keep-alive
// connection is closed: its client (perhaps a phone) then knows to open
// a new one.
func (l *Listener) evict(victim *conn) {
	if l.cfg.OnEvicted != nil {
		l.cfg.OnEvicted(victim.key)
	}
	switch victim.fate.Load() {
	case fatePit:
		victim.Conn.SetReadDeadline(time.Unix(1, 0))
		l.pit.take(victim.Conn, victim.accepted)
	case fateAnswer:
		victim.Conn.SetReadDeadline(time.Unix(1, 0))
	default:
		victim.Conn.Close() // its server goroutine sees the error and ends
	}
}

// What becomes of an evicted connection (conn.fate).
const (
	fateNone   int32 = iota // not evicted
	fateClose               // an idle keep-alive connection: closed
	fatePit                 // never had a request: tarpitted at once
	fateAnswer              // its request is refused: answered, then tarpitted by Close
)

// verdict is what admit decided for a newcomer.
type verdict int

const (
	admitted  verdict = iota
	overCap           // over its client's cap, or its fair share of a full total: tarpitted
	overTotal         // a client holding none, and every slot busy: closed at once, to try again soon
)

// admit counts c in if it fits, making room by evicting a waiting
// connection when the total is reached; victim, if not nil, has already
// been uncounted and must be closed.
func (l *Listener) admit(c *conn) (victim *conn, v verdict) {
	l.mu.Lock()
	defer l.mu.Unlock()
	mine := l.open[c.key]
	if mine >= l.cfg.PerClient {
		return nil, overCap
	}
	if len(l.conns) >= l.cfg.Total {
		if victim = l.victim(mine); victim == nil {
			if mine > 0 {
				return nil, overCap
			}
			return nil, overTotal
		}
		l.uncount(victim)
		switch {
		case victim.done:
			victim.fate.Store(fateAnswer)
		case !victim.served && l.pit.max > 0:
			victim.fate.Store(fatePit)
		default:
			victim.fate.Store(fateClose)
		}
	}
	l.conns[c] = struct{}{}
	l.open[c.key]++
	return victim, admitted
}

// victim picks the connection to close for a newcomer whose client holds
// mine connections: one that was refused and is being closed, the oldest
// such; else among those waiting for a request, one of the client
// holding the most, over mine; of that client's, the one waiting longest.
// The caller holds l.mu.
func (l *Listener) victim(mine int) *conn {
	if !l.hooked.Load() {
		return nil
	}
	var v, done *conn
	vOpen := mine
	for c := range l.conns {
		if c.done && (done == nil || c.since.Before(done.since)) {
			done = c
		}
		if c.busy {
			continue
		}
		n := l.open[c.key]
		if n > vOpen || (n == vOpen && v != nil && c.since.Before(v.since)) {
			v, vOpen = c, n
		}
	}
	if done != nil {
		return done
	}
	return v
}

// uncount gives c's slot back, once. The caller holds l.mu.
func (l *Listener) uncount(c *conn) {
	if _, ok := l.conns[c]; !ok {
		return
	}
	delete(l.conns, c)
	if l.open[c.key]--; l.open[c.key] <= 0 {
		delete(l.open, c.key)
	}
}

func (l *Listener) release(c *conn) {
	l.mu.Lock()
	l.uncount(c)
	l.mu.Unlock()
}

// Hook sets srv's ConnState and ConnContext (keeping any it had) so that
// the listener knows which connections serve a request and which wait for
// one, and so that CloseUnread can mark a refused request's connection as
// done; and wraps srv.Handler (set it first) to know a request net/http
// answered itself.
func (l *Listener) Hook(srv *http.Server) {
	state, ctx, next := srv.ConnState, srv.ConnContext, srv.Handler
	srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, ok := r.Context().Value(connKey{}).(*conn); ok {
			c.handled.Store(true)
		}
		next.ServeHTTP(w, r)
	})
	srv.ConnState = func(c net.Conn, s http.ConnState) {
		l.connState(c, s)
		if state != nil {
			state(c, s)
		}
	}
	srv.ConnContext = func(cx context.Context, c net.Conn) context.Context {
		if ctx != nil {
			cx = ctx(cx, c)
		}
		if lc, ok := c.(*conn); ok && lc.l == l {
			cx = context.WithValue(cx, connKey{}, lc)
		}
		return cx
	}
}

// connKey is the context key of a request's *conn.
type connKey struct{}

// markDone records that the connection of the request of ctx, if it is
// one of a Listener, was refused: it will be closed after the answer and
// is the first to make room for a newcomer.
func markDone(ctx context.Context) {
	c, ok := ctx.Value(connKey{}).(*conn)
	if !ok {
		return
	}
	c.l.mu.Lock()
	c.done, c.since = true, c.l.cfg.Now()
	c.l.mu.Unlock()
}

// connState tells the listener which connections are serving a request
// (never evicted, unless done) and which wait for one (new or idle,
// reading a request's header).
func (l *Listener) connState(nc net.Conn, s http.ConnState) {
	c, ok := nc.(*conn)
	if !ok || c.l != l {
		return
	}
	l.hooked.Store(true)
	l.mu.Lock()
	defer l.mu.Unlock()
	switch s {
	case http.StateActive, http.StateHijacked:
		c.busy, c.served = true, true
	case http.StateIdle:
		c.busy, c.since = false, l.cfg.Now()
		c.handled.Store(false) // for the next request
	}
}

// Held is how many refused or evicted connections the tarpit holds.
func (l *Listener) Held() int { return l.pit.held() }

// Open is how many connections are open, in all and for client.
func (l *Listener) Open(client string) (total, ofClient int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns), l.open[client]
}

// LastAcceptError is when Accept last failed (such as EMFILE, too many
// open files) and why; err is nil if it never did.
func (l *Listener) LastAcceptError() (at time.Time, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.errAt, l.lastErr
}

// conn gives its slot back once: on the first Close, or on CloseWrite,
// which net/http calls once it has answered a connection it is about to
// close, half a second before it closes it (so that the client reads the
// answer before a reset): the slot is not held for that wait.
type conn struct {
	net.Conn
	l        *Listener
	key      string
	accepted time.Time
	// Under l.mu:
	busy    bool         // serving a request (or hijacked)
	served  bool         // it has had a request
	fate    atomic.Int32 // fateNone until evicted
	handled atomic.Bool  // a handler has the current request (see Hook)
	done    bool         // its request was refused: it is closed after the answer
	since   time.Time    // when it started waiting for a request, or was done
}

// Close gives the slot back and closes the socket, or leaves it to the
// tarpit: a connection evicted to it, or one whose request was refused
// (its answer is sent; the client has no more to expect).
func (c *conn) Close() error {
	c.l.mu.Lock()
	done, since := c.done, c.since
	c.l.uncount(c)
	c.l.mu.Unlock()
	switch {
	case c.fate.Load() == fatePit:
		return nil // the tarpit has the socket
	case done:
		c.l.pit.take(c.Conn, since)
		return nil
	}
	return c.Conn.Close()
}

// CloseWrite shuts down the sending side, if the connection has one, and
// gives the slot back.
//
// net/http also calls it after answering 431 itself, before any handler:
// that is how OnTooLarge learns of those.
func (c *conn) CloseWrite() error {
	if !c.handled.Load() && c.l.hooked.Load() && c.l.cfg.OnTooLarge != nil {
		c.l.cfg.OnTooLarge(c.key)
	}
	c.l.release(c)
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
