package store

import (
	"context"
	"slices"
	"sync"
)

// DefaultQueue is a Subscription's queue when Subscribe is given none.
const DefaultQueue = 64

// A Subscription is one consumer's queue of the store's events: the one
// path by which a change (above all a stored message) leaves the store.
// The goroutine that changed the store only appends to the queue, under
// the subscription's own short lock, and never waits for the consumer:
// a slow or stuck consumer cannot hold up a phone's post.
//
// The queue is bounded. An event that finds it full is dropped, and what
// was dropped is remembered in a form that does not grow with a flood:
// the sequence ranges of the Stored events, and one flag for the others.
// Once the consumer has read what the queue held, Next reads the dropped
// arrivals back from the store (oldest first, a queue's worth at a time),
// so no arrival is lost; then, if a Changed or Deleted event was dropped,
// it returns one Resync event, after which the consumer re-reads what it
// keeps of the store's state.
//
// A Subscription sees changes from the moment it is made. What happened
// before (while the appliance was off) is the consumer's to recover from
// the store at start, as its own state tells it what it has missed.
type Subscription struct {
	name  string
	s     *Store
	kinds []EventKind   // nil: every kind
	ready chan struct{} // holds a token while Next may have an event

	mu       sync.Mutex
	queue    []Event // oldest first
	max      int
	missed   []seqRange // Stored events dropped from a full queue, ascending
	catching bool       // Next is reading missed arrivals back (see push)
	resync   bool       // a Changed or Deleted event was dropped
	dropped  uint64
	closed   bool
}

// seqRange is the sequences from..to, both included.
type seqRange struct{ from, to uint64 }

// Subscribe registers a consumer of the kinds of event given (every kind
// if none), named for the log and Subscribers. queue bounds the events it
// holds; if queue < 1, DefaultQueue. Close ends the subscription.
func (s *Store) Subscribe(name string, queue int, kinds ...EventKind) *Subscription {
	if queue < 1 {
		queue = DefaultQueue
	}
	sub := &Subscription{name: name, s: s, kinds: kinds, max: queue, ready: make(chan struct{}, 1)}
	s.mu.Lock()
	s.subs = append(s.subs, sub)
	s.mu.Unlock()
	s.log.Debug("store: subscribed", "consumer", name, "queue", queue)
	return sub
}

// Subscribers names the open subscriptions, in the order they were made:
// every consumer a stored message reaches.
func (s *Store) Subscribers() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	names := make([]string, len(s.subs))
	for i, sub := range s.subs {
		names[i] = sub.name
	}
	return names
}

// publish hands ev to every subscription; it never blocks on a consumer.
// It is called after the change is durable and outside the store's locks.
func (s *Store) publish(ev Event) {
	s.mu.RLock()
	subs := slices.Clone(s.subs)
	s.mu.RUnlock()
	for _, sub := range subs {
		sub.push(ev)
	}
}

// Name is the consumer's name.
func (sub *Subscription) Name() string { return sub.name }

// Ready receives a value when Next may have an event.
func (sub *Subscription) Ready() <-chan struct{} { return sub.ready }

// Dropped counts the events that found the queue full.
func (sub *Subscription) Dropped() uint64 {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	return sub.dropped
}

func (sub *Subscription) wants(k EventKind) bool {
	return sub.kinds == nil || slices.Contains(sub.kinds, k)
}

func (sub *Subscription) push(ev Event) {
	if !sub.wants(ev.Kind) {
		return
	}
	sub.mu.Lock()
	// Once an arrival was dropped, later events are dropped too until the
	// dropped ones have been read back, even if the queue has room
	// again: queued, a newer event would reach the consumer before the
	// older arrivals read back from the store.
	behind := len(sub.missed) > 0 || sub.catching
	switch {
	case sub.closed:
	case len(sub.queue) < sub.max && !behind:
		sub.queue = append(sub.queue, ev)
	default:
		sub.dropped++
		if ev.Kind == Stored {
			sub.missed = addSeq(sub.missed, ev.Meta.seq)
		} else {
			sub.resync = true
		}
	}
	sub.mu.Unlock()
	sub.signal()
}

func (sub *Subscription) signal() {
	select {
	case sub.ready <- struct{}{}:
	default:
	}
}

// Next returns the next event without waiting; false when there is none
// now (wait on Ready). See Subscription for the order: the queue, then
// the dropped arrivals read back from the store, then one Resync.
func (sub *Subscription) Next() (Event, bool) {
	for {
		sub.mu.Lock()
		if sub.closed {
			sub.mu.Unlock()
			return Event{}, false
		}
		if len(sub.queue) > 0 {
			ev := sub.queue[0]
			sub.queue[0] = Event{}
			sub.queue = sub.queue[1:]
			if len(sub.queue) == 0 {
				sub.queue = nil // let the array go; the next push makes a small one
			}
			sub.mu.Unlock()
			sub.signal() // there may be more: the consumer calls again
			return ev, true
		}
		if len(sub.missed) == 0 {
			resync := sub.resync
			sub.resync = false
			sub.mu.Unlock()
			if !resync {
				return Event{}, false
			}
			return Event{Kind: Resync}, true
		}
		rs := sub.missed
		sub.missed, sub.catching = nil, true
		sub.mu.Unlock()
		sub.catchUp(rs) // reads the log without holding sub.mu, so push never waits on a disk
	}
}

// catchUp reads the oldest dropped arrivals in rs that are still in the
// store (a message deleted since is not read back), a queue's worth, into
// the queue; what is left of rs goes back to the missed ranges.
func (sub *Subscription) catchUp(rs []seqRange) {
	es, rest := sub.s.entriesIn(rs, sub.max)
	evs := make([]Event, 0, len(es))
	for _, e := range es {
		m, err := sub.s.load(e)
		if err != nil {
			sub.s.readFailed(err)
			continue
		}
		evs = append(evs, Event{Kind: Stored, Meta: m})
	}
	sub.mu.Lock()
	defer sub.mu.Unlock()
	sub.catching = false
	for _, r := range rest {
		sub.missed = addRange(sub.missed, r)
	}
	if !sub.closed {
		sub.queue = append(evs, sub.queue...) // the older arrivals first
	}
}

// Run calls handle with each event until ctx is done or the subscription
// is closed, then closes it.
func (sub *Subscription) Run(ctx context.Context, handle func(Event)) {
	defer sub.Close()
	for {
		for ev, ok := sub.Next(); ok; ev, ok = sub.Next() {
			handle(ev)
		}
		select {
		case <-ctx.Done():
			return
		case <-sub.ready:
		}
		if sub.isClosed() {
			return
		}
	}
}

func (sub *Subscription) isClosed() bool {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	return sub.closed
}

// Close ends the subscription: no more events are queued, and what was
// queued is let go. Run returns.
func (sub *Subscription) Close() {
	sub.mu.Lock()
	already := sub.closed
	sub.closed, sub.queue, sub.missed = true, nil, nil
	sub.mu.Unlock()
	if already {
		return
	}
	s := sub.s
	s.mu.Lock()
	s.subs = slices.DeleteFunc(s.subs, func(x *Subscription) bool { return x == sub })
	s.mu.Unlock()
	sub.signal()
}

// addSeq adds seq to the ascending, disjoint, non-adjacent ranges rs: a
// flood of drops is one range.
func addSeq(rs []seqRange, seq uint64) []seqRange { return addRange(rs, seqRange{seq, seq}) }

// addRange adds r to rs, merging the ranges it overlaps or touches.
func addRange(rs []seqRange, r seqRange) []seqRange {
	i := 0
	for i < len(rs) && rs[i].to+1 < r.from { // rs[i] ends before r, with a gap
		i++
	}
	j := i
	for j < len(rs) && rs[j].from <= r.to+1 { // rs[j] overlaps or touches r
		r.from, r.to = min(r.from, rs[j].from), max(r.to, rs[j].to)
		j++
	}
	return slices.Replace(rs, i, j, r)
}

// entriesIn returns copies of the index entries in the ranges rs, oldest
// first, at most limit of them, and the ranges still to read after them.
func (s *Store) entriesIn(rs []seqRange, limit int) ([]entry, []seqRange) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []entry
	for len(rs) > 0 {
		r := rs[0]
		i, _ := slices.BinarySearchFunc(s.entries, r.from, bySeq)
		for ; i < len(s.entries) && s.entries[i].seq <= r.to; i++ {
			if len(out) == limit {
				rs[0].from = s.entries[i].seq
				return out, rs
			}
			out = append(out, s.entries[i])
		}
		rs = rs[1:]
	}
	return out, nil
}
