package deliver

import (
	"context"
	"sync"
	"time"

	"github.com/homemmsc/homemmsc/internal/store"
)

// followQueue bounds the store's events waiting for Follow; past it the
// store's Subscription reads the arrivals back when Follow catches up.
const followQueue = 64

// Follow keeps the delivery records in step with st (Config.Store) until
// ctx is done: each stored message with a paired recipient gets its record
// (Stored), each deleted one loses it (Forget). It first recovers what
// was stored while the appliance was off (Recover over the messages
// received within the expiry), and after a Resync it forgets the records
// of messages that are gone. The store only queues the events (a
// Subscription named "delivery"); the reads and writes run on Follow's
// own goroutine. wait returns once it has stopped.
func (d *Deliverer) Follow(ctx context.Context, st *store.Store) (wait func()) {
	sub := st.Subscribe("delivery", followQueue, store.Stored, store.Deleted)
	d.Recover(recent(st, d.cfg.Now(), d.cfg.Expiry))
	done := make(chan struct{})
	go func() {
		defer close(done)
		sub.Run(ctx, func(ev store.Event) {
			switch ev.Kind {
			case store.Stored:
				d.Stored(ev.Meta.ID)
			case store.Deleted:
				d.Forget(ev.Meta.ID)
			case store.Resync:
				d.forgetGone()
			}
		})
	}()
	return func() { <-done }
}

// forgetGone forgets the records of messages no longer in the store.
func (d *Deliverer) forgetGone() {
	d.mu.Lock()
	ids := make([]string, 0, len(d.recs))
	for id := range d.recs {
		ids = append(ids, id)
	}
	d.mu.Unlock()
	for _, id := range ids {
		if _, ok := d.cfg.Store.Get(id); !ok {
			d.Forget(id)
		}
	}
}

// recent is the messages that may still wait for a paired phone at now,
// those received within the expiry or while the clock was not
// synchronised: Recover looks at no other, so the metadata of the others
// is not read from the store's journal.
func recent(st *store.Store, now time.Time, expiry time.Duration) []store.Meta {
	page, _ := st.Query(store.Query{Match: func(m store.Summary) bool { return !m.ClockSynced || now.Before(m.Received.Add(expiry)) }})
	return page
}

// Start follows st (Follow) and runs the deliveries (Run) until ctx is
// done; stop ends both and waits for them.
func (d *Deliverer) Start(ctx context.Context, st *store.Store) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(d.Follow(ctx, st))
	wg.Go(func() { d.Run(ctx) })
	return func() { cancel(); wg.Wait() }
}
