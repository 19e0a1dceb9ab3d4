package deliver

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/outbox"
	"github.com/homemmsc/homemmsc/internal/phones"
	"github.com/homemmsc/homemmsc/internal/store"
)

// Pusher sends to phones through the modem; *push.Pusher is one. Each
// call sends now or fails: retries are the Deliverer's.
type Pusher interface {
	// Push sends an encoded MMS PDU (M-Notification.ind, M-Delivery.ind)
	// as a WAP push SMS.
	Push(ctx context.Context, to string, pdu []byte) error
	// Text sends a plain SMS.
	Text(ctx context.Context, to, text string) error
}

// Phones finds the paired phone of a number, whatever its form
// (national or international), and keeps each phone's last visit;
// *phones.Registry is one. The Number of the phone ByNumber returns is
// the same string for every form, and is what a report's from is
// compared with.
type Phones interface {
	ByNumber(number string) (phones.Phone, bool)
	Saw(token string, v phones.Visit)
}

// Store is what delivery needs from the message store; *store.Store is
// one. SetDelivery records the recipients' states in the message's
// metadata, for the inbox.
type Store interface {
	Get(id string) (store.Meta, bool)
	OpenPDU(id string) (*store.PDU, error)
	SetDelivery(id string, ds []store.Delivery) error
}

// Config configures a Deliverer. Dir, PublicURL, Store, Phones, Pusher
// and Outbox are required.
type Config struct {
	Dir       string // state directory, e.g. <data>/deliver
	PublicURL string // how phones reach the MMSC listener, e.g. "http://mms.example.org:8080"
	Store     Store
	Phones    Phones
	Pusher    Pusher

	// EncodeNotification encodes an M-Notification.ind for a push; if
	// nil, (*mms.Message).Encode. push.Notification drops From and
	// Subject when they would not fit one SMS.
	EncodeNotification func(*mms.Message) ([]byte, error)
	// Temporary tells a send error that may go away from one that will
	// not (a number the network refuses); if nil, all are temporary.
	Temporary func(error) bool

	// Fit, if set, adapts an M-Retrieve.conf of size bytes that is larger
	// than its recipient phone's limit (phones.Phone.Limit) so that it
	// fits; (*adapt.Adapter).Fit is one. What it returns is sent, also
	// with an error, which is logged. If nil, messages go as stored.
	Fit func(id string, limit int, conf *mms.Message, size int) (*mms.Message, error)

	// Absent, if set, tells a send error that says the modem is missing:
	// retried without counting as an attempt (push.Absent).
	Absent func(error) bool
	// Ready, if set, returns a channel closed when the modem is (back)
	// in service: sends that failed are then retried at once rather than
	// after their back-off. *modem.Device's Ready is one.
	Ready func() <-chan struct{}

	// Outbox is where the notifications and delivery reports wait to be
	// sent (kinds KindPush and KindReport), with the owner's texts: one
	// queue through the one modem, its retries and back-off. Its Run
	// sends them.
	Outbox *outbox.Outbox

	Expiry   time.Duration // longest a message waits for retrieval; if zero, DefaultExpiry
	Schedule Schedule      // if Renotify is empty, DefaultSchedule

	Now func() time.Time // if nil, time.Now
	// Synced reports whether the system clock is synchronised
	// (clock.Synced). A message received while it was not has its expiry
	// counted again from when it is (see settle). If nil, stamps are
	// taken as they are.
	Synced func() bool
	Rand   io.Reader    // keys and transaction ids; if nil, crypto/rand
	Logger *slog.Logger // if nil, logs are discarded
}

// DefaultExpiry is how long a message waits for retrieval unless its
// M-Send.req asked for less.
const DefaultExpiry = 7 * 24 * time.Hour

// maxReportTries bounds the attempts to push one delivery report.
const maxReportTries = 10

// ErrConfig is returned by Open for a missing required field.
var ErrConfig = errors.New("deliver: incomplete configuration")

// Deliverer runs the per-recipient state machines. Its methods are safe
// for concurrent use; Run sends.
type Deliverer struct {
	cfg   Config
	base  atomic.Pointer[string] // PublicURL, changed by SetPublicURL
	disk  disk
	log   *slog.Logger
	since time.Time
	pub   chan string // message ids whose states changed, for the metadata
	wake  chan struct{}
	stats counters

	mu    sync.Mutex
	recs  map[string]*Record
	live  map[string]bool // records not yet past their expiry, keys indexed
	keys  *keyIndex
	tids  map[string]slot
	tests map[int]*selfTest
	nextT int
}

// Open loads the state in cfg.Dir and returns a Deliverer; call Run.
func Open(cfg Config) (*Deliverer, error) {
	if cfg.Dir == "" || cfg.PublicURL == "" || cfg.Store == nil || cfg.Phones == nil || cfg.Pusher == nil || cfg.Outbox == nil {
		return nil, ErrConfig
	}
	setDefaults(&cfg)
	keys, err := newKeyIndex()
	if err != nil {
		return nil, err
	}
	d := &Deliverer{
		cfg: cfg, disk: disk{cfg.Dir}, log: cfg.Logger,
		pub: make(chan string, 256), wake: make(chan struct{}, 1),
		recs: map[string]*Record{}, live: map[string]bool{}, keys: keys, tids: map[string]slot{}, tests: map[int]*selfTest{},
	}
	d.base.Store(&cfg.PublicURL)
	if err := d.disk.open(); err != nil {
		return nil, err
	}
	if d.since, err = d.disk.since(cfg.Now()); err != nil {
		return nil, err
	}
	recs, errs := d.disk.records()
	for _, err := range errs {
		d.log.Error(err.Error())
	}
	for _, r := range recs {
		d.index(r)
	}
	d.handle(cfg.Outbox)
	return d, nil
}

func setDefaults(cfg *Config) {
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	if cfg.EncodeNotification == nil {
		cfg.EncodeNotification = (*mms.Message).Encode
	}
	if cfg.Temporary == nil {
		cfg.Temporary = func(error) bool { return true }
	}
	if cfg.Expiry <= 0 {
		cfg.Expiry = DefaultExpiry
	}
	if len(cfg.Schedule.Renotify) == 0 {
		cfg.Schedule = DefaultSchedule
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
}

// index makes a record's keys and transaction ids known. Keys of an
// expired record are left out: its URLs answer message-not-found.
// Called with d.mu held, or before the Deliverer is shared.
func (d *Deliverer) index(r *Record) {
	d.recs[r.ID] = r
	now := d.cfg.Now()
	d.settle(r, now)
	live := now.Before(r.Expires)
	d.live[r.ID] = live
	for i, rc := range r.Recipients {
		if rc.Key != "" && live {
			d.keys.add(rc.Key, slot{id: r.ID, rcp: i})
		}
		if rc.TID != "" {
			d.tids[rc.TID] = slot{id: r.ID, rcp: i}
		}
	}
}

// URL is the retrieve URL of a key: the M-Notification.ind's
// Content-Location.
func (d *Deliverer) URL(key string) string { return *d.base.Load() + "/m/" + key }

// ViewURL is the browser page of a key, the link of the SMS fallback.
func (d *Deliverer) ViewURL(key string) string { return *d.base.Load() + "/v/" + key }

// SetPublicURL changes how phones reach the MMSC listener (the router
// mapped another port): notifications sent from now on carry the new
// URL; those already sent keep theirs, and their key still works there.
func (d *Deliverer) SetPublicURL(u string) {
	u = strings.TrimRight(u, "/")
	d.base.Store(&u)
}

// Stored records a newly stored message for delivery, when it has a
// paired recipient, and wakes Run. It reads the message and writes the
// record: call it from a consumer's goroutine (Follow's), never from the
// phone's request.
func (d *Deliverer) Stored(id string) {
	if err := d.add(id); err != nil {
		d.log.Error("deliver: cannot deliver", "id", id, "err", err)
	}
}

// Recover queues the stored messages a crash or a full queue kept from
// being looked at: those received since delivery was turned on, not yet
// expired, without a record. metas is the store's list. A message
// received while the clock was not synchronised is not judged by its
// time: NTP may have moved the clock since (see settle).
func (d *Deliverer) Recover(metas []store.Meta) {
	now := d.cfg.Now()
	for _, m := range metas {
		d.mu.Lock()
		_, known := d.recs[m.ID]
		d.mu.Unlock()
		if known || m.ClockSynced && (m.Received.Before(d.since) || !now.Before(m.Received.Add(d.cfg.Expiry))) {
			continue
		}
		if err := d.add(m.ID); err != nil {
			d.log.Error("deliver: recovering", "id", m.ID, "err", err)
		}
	}
}

// States returns a copy of the recipients of a message and their states,
// nil when the message has no paired recipient.
func (d *Deliverer) States(id string) []Recipient {
	d.mu.Lock()
	defer d.mu.Unlock()
	r, ok := d.recs[id]
	if !ok {
		return nil
	}
	out := make([]Recipient, len(r.Recipients))
	copy(out, r.Recipients)
	for i := range out {
		out[i].Key, out[i].TID = "", "" // secrets stay here
	}
	return out
}

// Forget drops the record of a deleted message: its URLs go dead.
func (d *Deliverer) Forget(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r, ok := d.recs[id]
	if !ok {
		return
	}
	for _, rc := range r.Recipients {
		d.keys.remove(rc.Key)
		delete(d.tids, rc.TID)
	}
	d.unqueue(r)
	delete(d.recs, id)
	delete(d.live, id)
	if err := d.disk.remove(recordName(id)); err != nil {
		d.log.Error("deliver: removing record", "id", id, "err", err)
	}
}

func (d *Deliverer) poke() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// save writes a record and asks for its states to be put in the
// message's metadata; called with d.mu held.
func (d *Deliverer) save(r *Record) {
	d.write(r)
	d.askPublish(r.ID)
}

// write writes a record without asking for a publish, for a change the
// metadata does not show; called with d.mu held.
func (d *Deliverer) write(r *Record) {
	if err := d.disk.write(recordName(r.ID), r); err != nil {
		d.log.Error("deliver: saving state", "id", r.ID, "err", err)
	}
}

// askPublish queues a message for publish without blocking: when the
// queue is full, the next change of the record asks again.
func (d *Deliverer) askPublish(id string) {
	select {
	case d.pub <- id:
	default:
	}
}

// publisher puts the recipients' states in the store's metadata, off
// d.mu: the store's subscribers run in its call and may ask us back.
func (d *Deliverer) publisher(ctx context.Context) {
	// A change saved just before a crash or stop may not have reached the
	// metadata: look at every record once (unchanged ones cost a compare).
	d.mu.Lock()
	ids := make([]string, 0, len(d.recs))
	for id := range d.recs {
		ids = append(ids, id)
	}
	d.mu.Unlock()
	for _, id := range ids {
		if ctx.Err() != nil {
			return
		}
		d.publish(id)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case id := <-d.pub:
			d.publish(id)
		}
	}
}

// publish records the summary of a message's delivery in its metadata;
// the store writes nothing when it did not change.
func (d *Deliverer) publish(id string) {
	d.mu.Lock()
	r, ok := d.recs[id]
	var ds []store.Delivery
	if ok {
		for _, rc := range r.Recipients {
			ds = append(ds, store.Delivery{To: rc.Address, Phone: rc.Name, State: string(rc.State), Updated: rc.Updated})
		}
	}
	d.mu.Unlock()
	if !ok {
		return
	}
	if err := d.cfg.Store.SetDelivery(id, ds); err != nil && !errors.Is(err, store.ErrNotFound) {
		d.log.Warn("deliver: states not recorded in the metadata", "id", id, "err", err)
	}
}

// add builds and saves the record of a stored message, when it has a
// paired recipient.
func (d *Deliverer) add(id string) error {
	if !safeID(id) {
		return fmt.Errorf("deliver: unusable message id %q", id)
	}
	meta, ok := d.cfg.Store.Get(id)
	if !ok {
		return nil // deleted meanwhile
	}
	if !anyPaired(meta, d.cfg.Phones) {
		return nil // the common case: spare reading the PDU
	}
	msg, err := d.readMessage(meta)
	if err != nil {
		return err
	}
	r, err := d.newRecord(meta, msg)
	if err != nil || r == nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, dup := d.recs[id]; dup {
		return nil
	}
	if err := d.disk.write(recordName(id), r); err != nil {
		return err
	}
	d.index(r)
	d.askPublish(id)
	d.poke()
	d.log.Info("deliver: to deliver", "id", id, "recipients", len(r.Recipients), "expires", r.Expires)
	return nil
}

// readMessage reads and decodes a stored PDU.
func (d *Deliverer) readMessage(meta store.Meta) (*mms.Message, error) {
	f, err := d.cfg.Store.OpenPDU(meta.ID)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, mms.MaxPDU+1))
	if err != nil {
		return nil, fmt.Errorf("deliver: reading %s: %w", meta.ID, err)
	}
	return mms.Decode(b)
}

// newRecord decides who gets the message. It returns nil when no
// recipient is a paired phone.
func (d *Deliverer) newRecord(meta store.Meta, msg *mms.Message) (*Record, error) {
	r := &Record{
		ID: meta.ID, Received: meta.Received, From: meta.Sender.Number, FromName: meta.Sender.Name,
		Subject: msg.Subject.Text(), Size: meta.Size,
		Expires:  meta.Received.Add(expiry(msg.Expiry, d.cfg.Expiry, meta.Received)),
		Unsynced: !meta.ClockSynced,
	}
	if msg.DeliveryReport == mms.Yes && r.From != "" {
		if p, ok := d.cfg.Phones.ByNumber(r.From); ok {
			r.ReportTo = p.Number
		}
	}
	paired := 0
	seen := map[string]bool{}
	for _, a := range recipients(msg) {
		rc := Recipient{Address: clip(a.String(), 256), State: Kept}
		if n, ok := a.Number(); ok {
			if p, ok := d.cfg.Phones.ByNumber(n); ok && !seen[p.Number] {
				seen[p.Number] = true
				if err := d.pair(&rc, p, meta.Received); err != nil {
					return nil, err
				}
				paired++
			}
		}
		r.Recipients = append(r.Recipients, rc)
	}
	if paired == 0 {
		return nil, nil
	}
	return r, nil
}

// pair makes rc a paired recipient waiting for its first notification.
func (d *Deliverer) pair(rc *Recipient, p phones.Phone, now time.Time) error {
	var err error
	if rc.Key, err = newKey(d.cfg.Rand); err != nil {
		return err
	}
	if rc.TID, err = newTID(d.cfg.Rand); err != nil {
		return err
	}
	rc.Number, rc.Name, rc.State, rc.Updated = p.Number, p.Name, Pending, now
	return nil
}

// maxRecipients bounds the recipients looked at in one message.
const maxRecipients = 64

func recipients(m *mms.Message) []mms.Address {
	var all []mms.Address
	for _, l := range [][]mms.Address{m.To, m.Cc, m.Bcc} {
		all = append(all, l...)
	}
	return all[:min(len(all), maxRecipients)]
}

// expiry is how long a message received at t waits: what its X-Mms-Expiry
// asked, capped at limit.
func expiry(tv mms.TimeValue, limit time.Duration, t time.Time) time.Duration {
	switch {
	case tv.Relative > 0:
		return min(tv.Relative, limit)
	case !tv.Absolute.IsZero() && tv.Absolute.After(t):
		return min(tv.Absolute.Sub(t), limit)
	}
	return limit
}

// UnpairedFunc is Unpaired on p, for the owner's SMS
// (ownersms.Notifier.Feed).
func UnpairedFunc(p Phones) func(store.Meta) []string {
	return func(m store.Meta) []string { return Unpaired(m, p) }
}

// Unpaired returns the To, Cc and Bcc addresses of meta that are not
// paired phones: the message is kept for the owner only for them.
func Unpaired(meta store.Meta, p Phones) []string {
	var out []string
	for _, l := range [][]string{meta.To, meta.Cc, meta.Bcc} {
		for _, s := range l {
			a := mms.Address{Value: mms.EncodedString{Raw: []byte(s)}}
			if n, ok := a.Number(); ok {
				if _, paired := p.ByNumber(n); paired {
					continue
				}
				s = n
			}
			out = append(out, s)
		}
	}
	return out
}

// anyPaired reports whether a recipient in the metadata is a paired phone.
func anyPaired(meta store.Meta, p Phones) bool {
	return len(Unpaired(meta, p)) < len(meta.To)+len(meta.Cc)+len(meta.Bcc)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
