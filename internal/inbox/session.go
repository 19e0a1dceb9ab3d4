package inbox

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"sync"
	"time"
)

// Sessions live in memory: a restart logs the owner out, which is fine
// for an appliance and keeps no secret on the card.
const (
	sessionIdle  = 12 * time.Hour     // ends after this long unused
	sessionMax   = 7 * 24 * time.Hour // ends this long after login whatever
	maxSessions  = 32                 // the oldest goes when a new one would exceed this
	sessionBytes = 32                 // 256-bit random id
)

type session struct {
	key           [32]byte // sha256 of the cookie's id: the map key
	csrf          string
	created, used time.Time
	notice        string // said on the next page shown (Post/Redirect/Get); guarded by sessions.mu
}

type sessions struct {
	mu  sync.Mutex
	m   map[[32]byte]*session
	now func() time.Time
}

func newSessions(now func() time.Time) *sessions {
	return &sessions{m: make(map[[32]byte]*session), now: now}
}

func randomToken() string {
	b := make([]byte, sessionBytes)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// create starts a session and returns the id for the cookie.
func (ss *sessions) create() (string, *session) {
	id := randomToken()
	now := ss.now()
	s := &session{key: sha256.Sum256([]byte(id)), csrf: randomToken(), created: now, used: now}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.expire(now)
	if len(ss.m) >= maxSessions {
		ss.dropOldest()
	}
	ss.m[s.key] = s
	return id, s
}

// get returns the live session of a cookie id and marks it used. The id
// is hashed before the lookup, so the map's timing says nothing about it.
func (ss *sessions) get(id string) *session {
	if id == "" {
		return nil
	}
	key := sha256.Sum256([]byte(id))
	now := ss.now()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s, ok := ss.m[key]
	if !ok {
		return nil
	}
	if !alive(s, now) {
		delete(ss.m, key)
		return nil
	}
	s.used = now
	return s
}

func (ss *sessions) end(s *session) {
	ss.mu.Lock()
	delete(ss.m, s.key)
	ss.mu.Unlock()
}

// notify keeps a notice for the next page the session is shown: the
// answer to a form is a redirect, and the page it leads to says what
// was done.
func (ss *sessions) notify(s *session, msg string) {
	if s == nil {
		return
	}
	ss.mu.Lock()
	s.notice = msg
	ss.mu.Unlock()
}

// takeNotice returns the session's notice and forgets it: a reload does
// not say it again.
func (ss *sessions) takeNotice(s *session) string {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	msg := s.notice
	s.notice = ""
	return msg
}

// endAll logs every session out (a new password was set).
func (ss *sessions) endAll() {
	ss.mu.Lock()
	clear(ss.m)
	ss.mu.Unlock()
}

func alive(s *session, now time.Time) bool {
	return now.Sub(s.used) < sessionIdle && now.Sub(s.created) < sessionMax
}

func (ss *sessions) expire(now time.Time) {
	for k, s := range ss.m {
		if !alive(s, now) {
			delete(ss.m, k)
		}
	}
}

func (ss *sessions) dropOldest() {
	var oldest *session
	for _, s := range ss.m {
		if oldest == nil || s.used.Before(oldest.used) {
			oldest = s
		}
	}
	if oldest != nil {
		delete(ss.m, oldest.key)
	}
}

// Login backoff: after freeFailures wrong passwords from one address,
// each further one locks that address out for twice as long as the last
// (1 s, 2 s, 4 s ... up to maxLockout). The same applies to all addresses
// together with a higher allowance, so guessing from many addresses is
// slowed too. A correct password clears its address's count.
const (
	freeFailures       = 5
	freeFailuresGlobal = 20
	maxLockout         = 15 * time.Minute
	maxTracked         = 1024 // addresses remembered; beyond, the oldest entry goes
	globalKey          = "*"
	forgetAfter        = time.Hour // a count with no failure for this long starts again
)

type failures struct {
	count int
	until time.Time
	last  time.Time
}

type limiter struct {
	mu  sync.Mutex
	m   map[string]*failures
	now func() time.Time
}

func newLimiter(now func() time.Time) *limiter {
	return &limiter{m: make(map[string]*failures), now: now}
}

// wait returns how long addr must wait before it may try again; zero
// means it may try now.
func (l *limiter) wait(addr string) time.Duration {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	var d time.Duration
	for _, k := range []string{addr, globalKey} {
		if f, ok := l.m[k]; ok && f.until.After(now) {
			d = max(d, f.until.Sub(now))
		}
	}
	return d
}

// fail records a wrong password from addr.
func (l *limiter) fail(addr string) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.m) >= maxTracked {
		l.forgetOldest()
	}
	l.bump(addr, freeFailures, now)
	l.bump(globalKey, freeFailuresGlobal, now)
}

func (l *limiter) bump(k string, free int, now time.Time) {
	f := l.m[k]
	if f == nil {
		f = &failures{}
		l.m[k] = f
	}
	if now.Sub(f.last) > forgetAfter {
		f.count = 0
	}
	f.count++
	f.last = now
	if over := f.count - free; over >= 0 {
		f.until = now.Add(min(time.Second<<min(over, 20), maxLockout))
	}
}

// succeed clears addr's failures (not the global count: that one starts
// again after forgetAfter without failures).
func (l *limiter) succeed(addr string) {
	l.mu.Lock()
	delete(l.m, addr)
	l.mu.Unlock()
}

func (l *limiter) forgetOldest() {
	var oldK string
	var old *failures
	for k, f := range l.m {
		if k != globalKey && (old == nil || f.last.Before(old.last)) {
			oldK, old = k, f
		}
	}
	delete(l.m, oldK)
}
