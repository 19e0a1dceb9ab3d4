package guard

import (
	"container/list"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// DefaultMaxClients bounds the rate limiter's table when RateConfig
// leaves it zero. A client costs about 175 bytes of heap (173 measured
// for IPv6 keys by BenchmarkTableMemory), so a full table is about 700 KB.
const DefaultMaxClients = 4096

// RateConfig configures a RateLimiter.
type RateConfig struct {
	Rate       float64          // requests per second per client, refilled continuously; required (> 0)
	Burst      int              // bucket size; if < 1, 1
	MaxClients int              // clients remembered; if zero, DefaultMaxClients
	Now        func() time.Time // if nil, time.Now
	// OnLimited, if set, is called for each refused request (for a
	// counter); it must not block.
	OnLimited func(r *http.Request)
}

// RateLimiter is a token bucket per client with a bounded table. It is
// safe for concurrent use.
type RateLimiter struct {
	cfg RateConfig

	mu      sync.Mutex
	clients map[string]*list.Element // of *bucket
	lru     list.List                // most recently seen first
}

type bucket struct {
	key    string
	tokens float64
	last   time.Time
}

// NewRateLimiter returns a limiter; cfg.Rate must be positive.
func NewRateLimiter(cfg RateConfig) *RateLimiter {
	if cfg.Rate <= 0 || math.IsNaN(cfg.Rate) || math.IsInf(cfg.Rate, 0) {
		panic("guard: rate must be a positive number")
	}
	cfg.Burst = max(cfg.Burst, 1)
	if cfg.MaxClients <= 0 {
		cfg.MaxClients = DefaultMaxClients
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &RateLimiter{cfg: cfg, clients: map[string]*list.Element{}}
}

// Allow takes a token from key's bucket. When there is none it returns
// false and how long until there is one.
func (l *RateLimiter) Allow(key string) (ok bool, wait time.Duration) {
	now := l.cfg.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucket(key, now)
	if d := now.Sub(b.last); d > 0 {
		b.tokens = min(float64(l.cfg.Burst), b.tokens+d.Seconds()*l.cfg.Rate)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.cfg.Rate * float64(time.Second))
}

// bucket finds or makes key's bucket and marks it most recent; a new one
// is full, and evicts the least recent client when the table is full.
func (l *RateLimiter) bucket(key string, now time.Time) *bucket {
	if e, ok := l.clients[key]; ok {
		l.lru.MoveToFront(e)
		return e.Value.(*bucket)
	}
	if l.lru.Len() >= l.cfg.MaxClients {
		old := l.lru.Back()
		l.lru.Remove(old)
		delete(l.clients, old.Value.(*bucket).key)
	}
	b := &bucket{key: key, tokens: float64(l.cfg.Burst), last: now}
	l.clients[key] = l.lru.PushFront(b)
	return b
}

// Len is how many clients the table holds.
func (l *RateLimiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lru.Len()
}

// Wrap refuses requests over the limit with 429 and Retry-After, before
// next sees them and without reading their body.
func (l *RateLimiter) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok, wait := l.Allow(ClientKey(r.RemoteAddr))
		if ok {
			next.ServeHTTP(w, r)
			return
		}
		if l.cfg.OnLimited != nil {
			l.cfg.OnLimited(r)
		}
		secs := max(1, int(math.Ceil(wait.Seconds())))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		refuse(w, r, http.StatusTooManyRequests, "too many requests: slow down")
	})
}

// refuse answers a short text and closes the connection without waiting
// for the unread body (CloseUnread).
func refuse(w http.ResponseWriter, r *http.Request, code int, msg string) {
	CloseUnread(w, r)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(code)
	w.Write([]byte(msg + "\n"))
}
