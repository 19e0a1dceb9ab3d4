package mmsc

import (
	"context"
	"math/bits"
	"sync"
)

// maxBodyBytes bounds the bytes of request bodies the handler holds at
// once, whatever the number of phones posting: a request waits before
// reading its body until the bodies being processed leave room for it.
// 8 MiB is 26 bodies of 300 KB, more than the store's group commit needs
// to batch its syncs, and keeps the peak memory of 64 concurrent posts of
// 300 KB near that of 8.
const maxBodyBytes = 8 << 20

// bodies recycles the buffers request bodies are read into, and bounds
// their total (maxBodyBytes). Reading a 300 KB body into a fresh slice
// costs the zeroing of the slice and, under the appliance's memory limit,
// the garbage collector's returning it to the OS (madvise); a recycled
// buffer costs neither.
type bodies struct {
	limit byteLimit
	pools [bodyClasses]sync.Pool // pools[i] holds *[]byte of capacity classSize(i)
}

// Size classes: 16 KiB << k and 24 KiB << k, so that a buffer wastes at
// most a third of itself, up to 24 MiB (above MaxMaxSize).
const (
	minClassShift = 14
	bodyClasses   = 2 * 11
)

// classOf returns the smallest class whose size is at least n, or -1.
func classOf(n int) int {
	if n <= 1<<minClassShift {
		return 0
	}
	k := bits.Len(uint(n-1)) - 1 - minClassShift // 2^(k+14) < n <= 2^(k+15)
	i := 2*k + 1                                 // 24 KiB << k = 1.5 * 2^(k+14)
	if n > classSize(i) {
		i++
	}
	if i >= bodyClasses {
		return -1
	}
	return i
}

func classSize(i int) int {
	if i%2 == 0 {
		return 1 << (minClassShift + i/2)
	}
	return 3 << (minClassShift - 1 + i/2)
}

// get waits until n more bytes may be held, then returns a buffer of
// length n and the function that gives both back. It fails only when
// ctx ends first (the phone went away).
func (p *bodies) get(ctx context.Context, n int) ([]byte, func(), error) {
	release, err := p.hold(ctx, int64(n))
	if err != nil {
		return nil, nil, err
	}
	c := classOf(n)
	if c < 0 {
		return make([]byte, n), release, nil
	}
	bp, _ := p.pools[c].Get().(*[]byte)
	if bp == nil {
		b := make([]byte, classSize(c))
		bp = &b
	}
	return (*bp)[:n], func() {
		p.pools[c].Put(bp)
		release()
	}, nil
}

// hold waits until n more bytes (at most maxBodyBytes) may be held, and
// returns the function that gives them back. It fails only when ctx ends
// first.
func (p *bodies) hold(ctx context.Context, n int64) (func(), error) {
	weight := min(n, maxBodyBytes)
	if err := p.limit.acquire(ctx, weight); err != nil {
		return nil, err
	}
	return func() { p.limit.release(weight) }, nil
}

// byteLimit is a weighted semaphore with FIFO waiters: a large body does
// not starve behind a stream of small ones.
type byteLimit struct {
	mu      sync.Mutex
	held    int64
	waiters []*byteWaiter
}

type byteWaiter struct {
	n     int64
	ready chan struct{} // closed when the bytes are granted
}

func (l *byteLimit) acquire(ctx context.Context, n int64) error {
	l.mu.Lock()
	if len(l.waiters) == 0 && l.held+n <= maxBodyBytes {
		l.held += n
		l.mu.Unlock()
		return nil
	}
	w := &byteWaiter{n: n, ready: make(chan struct{})}
	l.waiters = append(l.waiters, w)
	l.mu.Unlock()
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-w.ready: // granted meanwhile: give it back
		l.held -= n
		l.grant()
	default:
		for i, o := range l.waiters {
			if o == w {
				l.waiters = append(l.waiters[:i], l.waiters[i+1:]...)
				break
			}
		}
		l.grant() // the head may have changed
	}
	return ctx.Err()
}

func (l *byteLimit) release(n int64) {
	l.mu.Lock()
	l.held -= n
	l.grant()
	l.mu.Unlock()
}

// grant wakes the waiters at the head of the queue that now fit. The
// caller holds l.mu.
func (l *byteLimit) grant() {
	for len(l.waiters) > 0 && l.held+l.waiters[0].n <= maxBodyBytes {
		w := l.waiters[0]
		l.waiters = l.waiters[1:]
		l.held += w.n
		close(w.ready)
	}
}
