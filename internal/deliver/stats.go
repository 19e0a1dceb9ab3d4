package deliver

import (
	"maps"
	"sync"
)

// Stats counts what delivery did since the process started, for the
// appliance's /metrics (internal/appmetrics). Every count only grows.
type Stats struct {
	Pushes       uint64 // M-Notification.ind pushes the modem sent (first ones and reminders)
	PushFailures uint64 // pushes the outbox gave up on (a permanent error, or too many tries)
	Fetches      uint64 // GETs of a retrieve URL answered with the message (or the self-test's)
	NotFound     uint64 // GETs of a retrieve URL answered "message not found"

	// PhoneReports counts the M-NotifyResp.ind and M-Acknowledge.ind
	// phones posted about a notification they were sent, by PDU and
	// X-Mms-Status (an acknowledge counts as "retrieved").
	PhoneReports map[PhoneReport]uint64
	// States counts recipients entering each state: deferrals, expiries,
	// failures and so on. Kept (not a paired phone) is not counted.
	States map[State]uint64

	DeliveryReports     uint64 // M-Delivery.ind sent to a sender who asked
	DeliveryReportsLost uint64 // delivery reports given up on
}

// PhoneReport is what a phone reported: the PDU ("notifyresp" or
// "acknowledge") and the status ("retrieved", "deferred", "rejected",
// "unrecognised", or the octet in hex).
type PhoneReport struct{ PDU, Status string }

// counters are the Stats of a Deliverer, behind their own lock: they are
// bumped with and without d.mu held.
type counters struct {
	mu sync.Mutex
	s  Stats
}

func (c *counters) add(f func(*Stats)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.s.States == nil {
		c.s.PhoneReports, c.s.States = map[PhoneReport]uint64{}, map[State]uint64{}
	}
	f(&c.s)
}

// entered counts a recipient's change of state, if it changed.
func (c *counters) entered(before, now State) {
	if before != now {
		c.add(func(s *Stats) { s.States[now]++ })
	}
}

// Stats returns a copy of the counts.
func (d *Deliverer) Stats() Stats {
	d.stats.mu.Lock()
	defer d.stats.mu.Unlock()
	s := d.stats.s
	s.PhoneReports, s.States = maps.Clone(s.PhoneReports), maps.Clone(s.States)
	return s
}
