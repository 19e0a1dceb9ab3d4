package deliver

import (
	"context"
	"encoding/json"
	"errors"
	"math"

	"github.com/homemmsc/homemmsc/internal/outbox"
)

// The outbox kinds of the sends to paired phones. They share the outbox
// (and its spacing through the modem) with the owner's texts.
const (
	KindPush   = "wap-push"        // an M-Notification.ind (and the fallback text) to a recipient
	KindReport = "delivery-report" // an M-Delivery.ind to the sender
)

// slotRef is an outbox item's payload: the recipient it is about.
type slotRef struct {
	ID  string `json:"id"`
	Rcp int    `json:"rcp"`
}

// errNothingToSend ends an item whose reason went while it waited: the
// message was deleted, the recipient answered or fetched it.
var errNothingToSend = errors.New("deliver: nothing to send any more")

// handle registers the two kinds with the outbox. A notification is
// retried until the message expires (the item's Expires); a report at
// most maxReportTries times.
func (d *Deliverer) handle(box *outbox.Outbox) {
	temporary := func(err error) bool { return !errors.Is(err, errNothingToSend) && d.cfg.Temporary(err) }
	box.Handle(KindPush, outbox.Kind{Handler: sends{d, false}, MaxAttempts: math.MaxInt32, Temporary: temporary, Absent: d.cfg.Absent, Ready: d.cfg.Ready})
	box.Handle(KindReport, outbox.Kind{Handler: sends{d, true}, MaxAttempts: maxReportTries, Temporary: temporary, Absent: d.cfg.Absent, Ready: d.cfg.Ready})
}

// sends sends the items of one kind for the outbox: reads the record as
// it is now, sends without holding the lock (the modem is slow), and
// records the outcome in Done.
type sends struct {
	d      *Deliverer
	report bool
}

func (s sends) Send(ctx context.Context, it outbox.Item, _ func() error) error {
	d := s.d
	var ref slotRef
	if err := json.Unmarshal(it.Payload, &ref); err != nil {
		return errNothingToSend
	}
	d.mu.Lock()
	r := d.recs[ref.ID]
	if r == nil || ref.Rcp < 0 || ref.Rcp >= len(r.Recipients) {
		d.mu.Unlock()
		return errNothingToSend
	}
	cur := &r.Recipients[ref.Rcp]
	if !s.report && (cur.State.Final() || d.fetchedSince(r, cur, d.cfg.Now())) {
		d.mu.Unlock()
		return errNothingToSend
	}
	rc, rec := *cur, *r // copies: the send runs unlocked
	d.mu.Unlock()
	if s.report {
		return d.sendReport(ctx, &rec, &rc)
	}
	err := d.notify(ctx, &rec, &rc)
	if rc.Texted { // the fallback text went: never send it twice, whatever the push did
		d.mu.Lock()
		if d.recs[ref.ID] == r && !r.Recipients[ref.Rcp].Texted {
			r.Recipients[ref.Rcp].Texted = true
			d.write(r)
		}
		d.mu.Unlock()
	}
	return err
}

// Done records the outcome of the item in its recipient's state, once:
// an outcome for an item the recipient no longer waits for (told again
// after a restart, or for an older notification) is ignored.
func (s sends) Done(it outbox.Item, err error) {
	d := s.d
	var ref slotRef
	if json.Unmarshal(it.Payload, &ref) != nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	r := d.recs[ref.ID]
	if r == nil || ref.Rcp < 0 || ref.Rcp >= len(r.Recipients) {
		return
	}
	rc := &r.Recipients[ref.Rcp]
	skip := errors.Is(err, errNothingToSend) || errors.Is(err, outbox.ErrExpired) // expire has the final word
	switch {
	case s.report && rc.ReportQueued == it.ID:
		rc.ReportQueued = ""
		if !skip {
			d.reported(r, rc, err)
		}
	case !s.report && rc.Queued == it.ID:
		rc.Queued = ""
		if !skip {
			d.notified(r, rc, it.Tried, err)
		}
	default:
		return
	}
	d.save(r)
	d.poke()
}

// unqueue takes a forgotten record's items out of the outbox; called
// with d.mu held.
func (d *Deliverer) unqueue(r *Record) {
	for _, rc := range r.Recipients {
		if rc.Queued != "" {
			d.cfg.Outbox.Remove(KindPush, rc.Queued)
		}
		if rc.ReportQueued != "" {
			d.cfg.Outbox.Remove(KindReport, rc.ReportQueued)
		}
	}
}
