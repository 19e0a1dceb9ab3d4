package store

import (
	"errors"
	"sync"
	"testing"
	"testing/synctest"
)

// gatedSync is a sync function that blocks until released and counts
// its calls; the n-th call returns errs[n] (1-based) if set.
type gatedSync struct {
	mu      sync.Mutex
	calls   int
	errs    map[int]error
	entered chan int
	release chan struct{}
}

func (g *gatedSync) sync() error {
	g.mu.Lock()
	g.calls++
	n := g.calls
	g.mu.Unlock()
	g.entered <- n
	<-g.release
	return g.errs[n]
}

func TestGroupSyncSharesOneSyncAmongLateArrivals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		boom := errors.New("EIO")
		gs := &gatedSync{errs: map[int]error{2: boom}, entered: make(chan int), release: make(chan struct{})}
		g := newGroupSync(gs.sync)
		first := make(chan error, 1)
		go func() { first <- g.wait() }()
		if n := <-gs.entered; n != 1 {
			t.Fatalf("first sync is call %d", n)
		}
		// Five writers arrive while sync 1 runs: it may miss their
		// renames, so none of them may be answered by it.
		late := make(chan error, 5)
		for range 5 {
			go func() { late <- g.wait() }()
		}
		synctest.Wait()
		if len(late) != 0 {
			t.Fatal("a writer that arrived during sync 1 returned before sync 2")
		}
		gs.release <- struct{}{}
		if err := <-first; err != nil {
			t.Fatalf("first writer: %v", err)
		}
		if n := <-gs.entered; n != 2 {
			t.Fatalf("second sync is call %d", n)
		}
		gs.release <- struct{}{}
		for range 5 {
			if err := <-late; !errors.Is(err, boom) {
				t.Fatalf("late writer got %v, want the error of the sync that covered it", err)
			}
		}
		synctest.Wait()
		if gs.calls != 2 {
			t.Fatalf("%d syncs for 6 writers in two waves, want 2", gs.calls)
		}
		// The failure was delivered and forgotten: the next writer's
		// own sync succeeds.
		go func() { first <- g.wait() }()
		<-gs.entered
		gs.release <- struct{}{}
		if err := <-first; err != nil {
			t.Fatalf("writer after a failed generation: %v", err)
		}
		if len(g.errs) != 0 || len(g.waiters) != 0 {
			t.Fatalf("leftover state: errs=%v waiters=%v", g.errs, g.waiters)
		}
	})
}
