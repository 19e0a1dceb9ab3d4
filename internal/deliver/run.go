package deliver

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/outbox"
)

// job is one send the loop owes: a notification to a recipient, or a
// delivery report about it to the sender.
type job struct {
	slot
	report bool
}

// Run keeps the deliveries moving until ctx is done: it expires what
// waited too long and hands the notifications and delivery reports that
// are due to the outbox, which sends them through the modem with the
// owner's texts (see Config.Outbox). A metadata publisher runs beside it.
func (d *Deliverer) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { d.publisher(ctx) })
	defer wg.Wait()
	for ctx.Err() == nil {
		if j, ok := d.due(); ok {
			d.enqueue(j)
			continue
		}
		d.sleep(ctx)
	}
}

// due expires what is over and returns the first job whose time has come.
func (d *Deliverer) due() (job, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.cfg.Now()
	for _, r := range d.recs {
		d.settle(r, now)
		d.expire(r, now)
		for i := range r.Recipients {
			rc := &r.Recipients[i]
			if rc.NextTry.After(now) {
				continue
			}
			switch {
			case rc.Report == ReportDue && rc.ReportQueued == "":
				return job{slot{r.ID, i}, true}, true
			case !rc.State.Final() && rc.Queued == "":
				if d.fetchedSince(r, rc, now) {
					continue
				}
				return job{slot: slot{r.ID, i}}, true
			}
		}
	}
	return job{}, false
}

// settle restarts the expiry of a record stamped while the clock was not
// synchronised, once it is. A Pi has no clock battery: it boots at the
// epoch or at the time fake-hwclock saved, and NTP's first sync moves the
// clock by hours or years. Expiry compared with the new time would end at
// once the wait of every message received before it; instead the
// message's full wait counts from now. (Within a run, times from
// time.Now compare by the monotonic clock, but records read back from
// disk have no monotonic reading.) Called with d.mu held, or before the
// Deliverer is shared.
func (d *Deliverer) settle(r *Record, now time.Time) {
	if !r.Unsynced || d.cfg.Synced == nil || !d.cfg.Synced() { // no Synced: stamps are taken as they are
		return
	}
	r.Expires, r.Unsynced = now.Add(r.Expires.Sub(r.Received)), false
	d.log.Info("deliver: clock synchronised; expiry counted from now", "id", r.ID, "expires", r.Expires)
	d.write(r)
}

// expire ends the waiting recipients of a record past its expiry, and
// forgets its keys; it does so once per record. A record loaded already
// expired has its final states saved, or gets them here.
func (d *Deliverer) expire(r *Record, now time.Time) {
	if now.Before(r.Expires) || (!d.live[r.ID] && r.Done()) {
		return
	}
	changed := false
	for i := range r.Recipients {
		rc := &r.Recipients[i]
		if before := rc.State; rc.finish(Expired, now, r.ReportTo != "") {
			d.stats.entered(before, rc.State)
			d.log.Info("deliver: expired", "id", r.ID, "to", rc.Name)
			changed = true
		}
		d.keys.remove(rc.Key)
	}
	d.live[r.ID] = false
	if changed {
		d.save(r)
	}
}

// fetchedSince handles a recipient whose phone fetched the message after
// its last notification but never confirmed: rather than notify again
// (the phone would show it twice), it counts as retrieved. It reports
// whether it did so.
func (d *Deliverer) fetchedSince(r *Record, rc *Recipient, now time.Time) bool {
	if rc.Notifications == 0 || rc.Fetched.IsZero() || rc.Fetched.Before(rc.LastNotified) {
		return false
	}
	before := rc.State
	rc.finish(Retrieved, now, r.ReportTo != "")
	d.stats.entered(before, rc.State)
	d.log.Info("deliver: fetched without a report; counted as retrieved", "id", r.ID, "to", rc.Name)
	d.save(r)
	return true
}

// enqueue hands job j to the outbox and marks it queued, so that due
// does not offer it again until the outbox reports its outcome. The item
// is durable before the mark: after a crash in between, the same job is
// due again and Add finds its item already there (its id names the
// notification's number).
func (d *Deliverer) enqueue(j job) {
	d.mu.Lock()
	r := d.recs[j.id]
	if r == nil {
		d.mu.Unlock()
		return
	}
	rc := &r.Recipients[j.rcp]
	it := outbox.Item{Kind: KindPush, ID: fmt.Sprintf("%s-%d-n%d", r.ID, j.rcp, rc.Notifications+1), Expires: r.Expires}
	if j.report {
		it = outbox.Item{Kind: KindReport, ID: fmt.Sprintf("%s-%d-report", r.ID, j.rcp)}
	}
	it.Payload, _ = json.Marshal(slotRef{ID: r.ID, Rcp: j.rcp})
	d.mu.Unlock()
	if err := d.cfg.Outbox.Add(it); err != nil {
		d.log.Error("deliver: cannot queue", "id", j.id, "err", err)
		d.mu.Lock()
		rc.NextTry = d.cfg.Now().Add(time.Minute) // the outbox's disk is failing: try again later
		d.mu.Unlock()
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.recs[j.id] != r {
		return // forgotten meanwhile; the outbox's Send finds nothing to send
	}
	if j.report {
		rc.ReportQueued = it.ID
	} else {
		rc.Queued = it.ID
	}
	d.save(r)
}

// notify sends the M-Notification.ind of rc, and the fallback text.
func (d *Deliverer) notify(ctx context.Context, r *Record, rc *Recipient) error {
	pdu, err := d.notification(r, rc.TID, rc.Key, d.announced(r.Size, rc.Number))
	if err != nil {
		return err
	}
	if err := d.cfg.Pusher.Push(ctx, rc.Number, pdu); err != nil {
		return err
	}
	if p, ok := d.cfg.Phones.ByNumber(rc.Number); ok && p.Fallback && !rc.Texted {
		if err := d.cfg.Pusher.Text(ctx, rc.Number, fallbackText(r, d.ViewURL(rc.Key))); err != nil {
			d.log.Warn("deliver: fallback text not sent", "id", r.ID, "to", rc.Name, "err", err)
		} else {
			rc.Texted = true
		}
	}
	return nil
}

// notification encodes the M-Notification.ind of a record for one key
// (OMA-MMS-ENC §6.2), announcing size bytes.
func (d *Deliverer) notification(r *Record, tid, key string, size int64) ([]byte, error) {
	left := max(r.Expires.Sub(d.cfg.Now()).Truncate(time.Second), time.Minute)
	n := mms.NewNotificationInd(tid, d.URL(key), uint64(max(size, 1)), left)
	if r.From != "" {
		n.From = mms.PLMN(r.From)
	}
	if r.Subject != "" {
		n.Subject = mms.Text(r.Subject)
	}
	return d.cfg.EncodeNotification(n)
}

// notified records the outcome of a notification that started at
// start: sent, or given up by the outbox (a permanent error, or the
// last of too many).
func (d *Deliverer) notified(r *Record, rc *Recipient, start time.Time, err error) {
	if err == nil {
		d.stats.add(func(s *Stats) { s.Pushes++ }) // the modem sent it, whatever came since
	}
	if rc.State.Final() {
		return // a report or the expiry came during the send
	}
	before := rc.State
	defer func() { d.stats.entered(before, rc.State) }()
	if err == nil {
		rc.sent(start, d.cfg.Schedule)
		d.log.Info("deliver: notified", "id", r.ID, "to", rc.Name, "n", rc.Notifications, "next", rc.NextTry)
		return
	}
	rc.LastError = err.Error()
	rc.set(Failed, d.cfg.Now())
	d.stats.add(func(s *Stats) { s.PushFailures++ })
	d.log.Warn("deliver: notification given up", "id", r.ID, "to", rc.Name, "err", err)
}

// sendReport pushes the M-Delivery.ind about rc to the sender
// (OMA-MMS-ENC §6.9).
func (d *Deliverer) sendReport(ctx context.Context, r *Record, rc *Recipient) error {
	to := mms.PLMN(rc.Number)
	pdu, err := mms.NewDeliveryInd(r.ID, to, d.cfg.Now(), reportStatus(rc.State)).Encode()
	if err != nil {
		return err
	}
	return d.cfg.Pusher.Push(ctx, r.ReportTo, pdu)
}

// reported records the outcome of a delivery report: sent, or given up.
func (d *Deliverer) reported(r *Record, rc *Recipient, err error) {
	if err == nil {
		rc.Report = ReportSent
		d.stats.add(func(s *Stats) { s.DeliveryReports++ })
		d.log.Info("deliver: delivery report sent", "id", r.ID, "to", r.ReportTo, "about", rc.Name, "state", rc.State)
		return
	}
	rc.Report = ReportLost
	d.stats.add(func(s *Stats) { s.DeliveryReportsLost++ })
	d.log.Error("deliver: delivery report given up", "id", r.ID, "to", r.ReportTo, "err", err)
}

// sleep waits for the next due time or a wake-up (a new record, a
// report, an outcome from the outbox).
func (d *Deliverer) sleep(ctx context.Context) {
	next, ok := d.nextDue()
	var timer <-chan time.Time
	if ok {
		t := time.NewTimer(max(next.Sub(d.cfg.Now()), time.Millisecond))
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-ctx.Done():
	case <-d.wake:
	case <-timer:
	}
}

// nextDue is the earliest time something is to be done.
func (d *Deliverer) nextDue() (time.Time, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var next time.Time
	consider := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	for _, r := range d.recs {
		pending := false
		for _, rc := range r.Recipients {
			if rc.Report == ReportDue && rc.ReportQueued == "" || !rc.State.Final() && rc.Queued == "" {
				consider(rc.NextTry)
			}
			pending = pending || !rc.State.Final()
		}
		if pending {
			consider(r.Expires)
		}
	}
	return next, !next.IsZero()
}
