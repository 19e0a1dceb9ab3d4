package notify

import "sync/atomic"

// Stats counts what the notifier did since it opened, for metrics.
type Stats struct {
	Sent      uint64 // texts handed to the network (one per owner and batch, whatever its parts)
	Failed    uint64 // texts given up on: a permanent error, or too many attempts
	Queued    int    // texts waiting, as Len
	LastError string // as LastError
}

// counters are the Notifier's running totals.
type counters struct{ sent, failed atomic.Uint64 }

// Stats reports the counts so far.
func (n *Notifier) Stats() Stats {
	return Stats{
		Sent: n.count.sent.Load(), Failed: n.count.failed.Load(),
		Queued: n.Len(), LastError: n.LastError(),
	}
}
