package store

import "sync"

// groupSync shares one sync among the writers that need it at the same
// time (group commit). A writer calls wait after its renames; wait
// returns once a sync that started after the call has completed, and
// that sync's error. At most one sync runs at a time: a writer that
// arrives while one runs waits for the next, which then covers every
// writer that arrived meanwhile. One client still gets one sync per Put;
// eight get about one per batch instead of eight.
type groupSync struct {
	sync func() error

	mu      sync.Mutex
	cond    sync.Cond
	running bool
	started uint64           // generation of the last sync started
	done    uint64           // generation of the last sync completed
	errs    map[uint64]error // failed generations not yet collected
	waiters map[uint64]int   // writers waiting for each generation
}

func newGroupSync(fn func() error) *groupSync {
	g := &groupSync{sync: fn, errs: make(map[uint64]error), waiters: make(map[uint64]int)}
	g.cond.L = &g.mu
	return g
}

// wait returns the result of a sync that started after wait was called.
func (g *groupSync) wait() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	// The next sync to start is started+1, whether one runs now (it
	// began before us and may miss our renames) or not.
	gen := g.started + 1
	g.waiters[gen]++
	for g.done < gen {
		if g.running {
			g.cond.Wait()
			continue
		}
		g.running = true
		g.started++
		g.mu.Unlock()
		err := g.sync()
		g.mu.Lock()
		g.running = false
		g.done = g.started
		if err != nil {
			g.errs[g.done] = err
		}
		g.cond.Broadcast()
	}
	return g.collect(gen)
}

// collect returns the error of generation gen and forgets it once its
// last waiter has it. The caller holds g.mu.
func (g *groupSync) collect(gen uint64) error {
	err := g.errs[gen]
	if g.waiters[gen]--; g.waiters[gen] == 0 {
		delete(g.waiters, gen)
		delete(g.errs, gen)
	}
	return err
}
