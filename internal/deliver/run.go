package deliver

import (
	"context"
	"sync"
	"time"

	"github.com/homemmsc/homemmsc/internal/mms"
)

// job is one send the loop owes: a notification to a recipient, or a
// delivery report about it to the sender.
type job struct {
	slot
	report bool
}

// Run delivers until ctx is done: it looks at newly stored messages,
// expires what waited too long, and sends the notifications and delivery
// reports that are due, one at a time (the modem sends one SMS at a time
// anyway).
func (d *Deliverer) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { d.publisher(ctx) })
	defer wg.Wait()
	for ctx.Err() == nil {
		// Taken before anything is tried, as the owner notifier does: a
		// modem that comes back during a failing send is not missed.
		ready := d.ready()
		if j, ok := d.due(); ok {
			d.do(ctx, j)
			select {
			case <-ready: // the modem came back during the send
				d.retryNow()
			default:
			}
			continue
		}
		d.sleep(ctx, ready)
	}
}

func (d *Deliverer) ready() <-chan struct{} {
	if d.cfg.Ready == nil {
		return nil
	}
	return d.cfg.Ready()
}

// retryNow makes every failed send due: the modem is back.
func (d *Deliverer) retryNow() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, r := range d.recs {
		for i := range r.Recipients {
			rc := &r.Recipients[i]
			if (rc.Failures > 0 && !rc.State.Final()) || (rc.Report == ReportDue && rc.ReportTries > 0) {
				rc.NextTry = time.Time{}
			}
		}
	}
}

// due expires what is over and returns the first job whose time has come.
func (d *Deliverer) due() (job, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.cfg.Now()
	for _, r := range d.recs {
		d.expire(r, now)
		for i := range r.Recipients {
			rc := &r.Recipients[i]
			if rc.NextTry.After(now) {
				continue
			}
			switch {
			case rc.Report == ReportDue:
				return job{slot{r.ID, i}, true}, true
			case !rc.State.Final():
				if d.fetchedSince(r, rc, now) {
					continue
				}
				return job{slot: slot{r.ID, i}}, true
			}
		}
	}
	return job{}, false
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
		if rc.finish(Expired, now, r.ReportTo != "") {
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
	rc.finish(Retrieved, now, r.ReportTo != "")
	d.log.Info("deliver: fetched without a report; counted as retrieved", "id", r.ID, "to", rc.Name)
	d.save(r)
	return true
}

// do performs one job without holding the lock (the modem is slow),
// then records the outcome.
func (d *Deliverer) do(ctx context.Context, j job) {
	d.mu.Lock()
	r := d.recs[j.id]
	if r == nil { // forgotten since due
		d.mu.Unlock()
		return
	}
	rc := r.Recipients[j.rcp] // a copy: the send runs unlocked
	rec := *r
	start := d.cfg.Now()
	d.mu.Unlock()
	var err error
	if j.report {
		err = d.sendReport(ctx, &rec, &rc)
	} else {
		err = d.notify(ctx, &rec, &rc)
	}
	if ctx.Err() != nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.recs[j.id] != r { // forgotten meanwhile
		return
	}
	cur := &r.Recipients[j.rcp]
	now := d.cfg.Now()
	if j.report {
		d.reported(r, cur, now, err)
	} else {
		// The phone may fetch before the send returns: the notification
		// counts from when it started.
		d.notified(r, cur, rc.Texted, start, err)
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

func (d *Deliverer) notified(r *Record, rc *Recipient, texted bool, now time.Time, err error) {
	if rc.State.Final() {
		return // a report or the expiry came during the send
	}
	rc.Texted = rc.Texted || texted
	if err == nil {
		rc.sent(now, d.cfg.Schedule)
		d.log.Info("deliver: notified", "id", r.ID, "to", rc.Name, "n", rc.Notifications, "next", rc.NextTry)
		return
	}
	permanent := !d.cfg.Temporary(err)
	rc.sendFailed(now, d.cfg.Schedule, err, permanent)
	d.log.Warn("deliver: notification not sent", "id", r.ID, "to", rc.Name, "permanent", permanent, "err", err, "next", rc.NextTry)
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

func (d *Deliverer) reported(r *Record, rc *Recipient, now time.Time, err error) {
	rc.ReportTries++
	switch {
	case err == nil:
		rc.Report = ReportSent
		rc.NextTry = time.Time{}
		d.log.Info("deliver: delivery report sent", "id", r.ID, "to", r.ReportTo, "about", rc.Name, "state", rc.State)
	case rc.ReportTries >= maxReportTries || !d.cfg.Temporary(err):
		rc.Report = ReportLost
		rc.NextTry = time.Time{}
		d.log.Error("deliver: delivery report given up", "id", r.ID, "to", r.ReportTo, "err", err)
	default:
		rc.NextTry = now.Add(d.cfg.Schedule.afterError(rc.ReportTries))
		d.log.Warn("deliver: delivery report not sent", "id", r.ID, "err", err, "next", rc.NextTry)
	}
}

// sleep waits for the next due time or a wake-up (a new record, a report).
func (d *Deliverer) sleep(ctx context.Context, ready <-chan struct{}) {
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
	case <-ready:
		d.retryNow()
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
			if rc.Report == ReportDue || !rc.State.Final() {
				consider(rc.NextTry)
				pending = pending || !rc.State.Final()
			}
		}
		if pending {
			consider(r.Expires)
		}
	}
	return next, !next.IsZero()
}
