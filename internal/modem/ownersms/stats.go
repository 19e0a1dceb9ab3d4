package ownersms

// Stats counts what the notifier did since it opened, for metrics.
type Stats struct {
	Sent      uint64 // texts handed to the network (one per owner and batch, whatever its parts)
	Failed    uint64 // texts given up on: a permanent error, too many attempts
	Queued    int    // texts waiting, as Len
	LastError string // as LastError
}

// Stats reports the counts so far.
func (n *Notifier) Stats() Stats {
	s := n.box.Stats(Kind)
	return Stats{Sent: s.Sent, Failed: s.Failed, Queued: n.Len(), LastError: s.LastError}
}

// StatsIfOn is Stats and true; false for a nil n (notifications off).
func (n *Notifier) StatsIfOn() (Stats, bool) {
	if n == nil {
		return Stats{}, false
	}
	return n.Stats(), true
}
