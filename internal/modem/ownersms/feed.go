package ownersms

import (
	"context"

	"github.com/homemmsc/homemmsc/internal/store"
)

// feedQueue bounds the stored messages waiting to be added; past it the
// store's Subscription reads the rest back when the outbox catches up.
const feedQueue = 64

// maxRecover bounds how many of the newest messages are checked at start.
const maxRecover = 100

// Feed adds every message st stores from now on to n, until ctx is done,
// and first recovers what the outbox missed while the appliance was off:
// the newest unseen messages not in its ledger. unpaired, if set, names
// a message's recipients that are not paired phones (Item.Kept). The
// store only queues the arrival (a Subscription named "owner SMS"); Add's
// synced write runs on Feed's own goroutine. wait returns once that
// goroutine has stopped.
func (n *Notifier) Feed(ctx context.Context, st *store.Store, unpaired func(store.Meta) []string) (wait func()) {
	sub := st.Subscribe("owner SMS", feedQueue, store.Stored)
	if err := n.Recover(unnotified(st, unpaired)); err != nil {
		n.log.Error("modem: recovering notifications", "err", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sub.Run(ctx, func(ev store.Event) {
			if err := n.Add(ItemOf(ev.Meta, unpaired)); err != nil {
				n.log.Error("modem: cannot queue notification", "id", ev.Meta.ID, "err", err)
			}
		})
	}()
	return func() { <-done }
}

// unnotified is the store's newest unseen messages; the notifier skips
// those its ledger says were notified.
func unnotified(st *store.Store, unpaired func(store.Meta) []string) []Item {
	var items []Item
	list, _ := st.Query(store.Query{Limit: maxRecover}) // newest first
	for i := len(list) - 1; i >= 0; i-- {
		if m := list[i]; !m.Seen {
			items = append(items, ItemOf(m, unpaired))
		}
	}
	return items
}

// ItemOf is the notification of a stored message; unpaired, if set,
// names its recipients that are not paired phones.
func ItemOf(m store.Meta, unpaired func(store.Meta) []string) Item {
	it := Item{ID: m.ID, Subject: m.Subject, Size: m.Size}
	if m.Sender.Number != "" || m.Sender.Name != "" {
		it.From = m.Sender.Label() // a claimed number says so
	}
	if unpaired != nil {
		it.Kept = unpaired(m)
	}
	for _, p := range m.Parts {
		it.Parts = append(it.Parts, p.ContentType)
	}
	return it
}
