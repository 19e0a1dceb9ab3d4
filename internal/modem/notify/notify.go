package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/homemmsc/homemmsc/internal/modem"
	"github.com/homemmsc/homemmsc/internal/modem/sms"
)

// Sender hands one PDU to a modem; *modem.Device is one.
type Sender interface {
	Send(ctx context.Context, p sms.PDU) (int, error)
	Ready() <-chan struct{}
}

// Config configures a Notifier. Dir and Owners are required.
type Config struct {
	Dir         string        // outbox directory (created if missing)
	Owners      []string      // numbers to text, "+…" international
	InboxURL    string        // link appended to every text; if empty, none
	Window      time.Duration // coalescing window after a text; if zero, no coalescing
	MinSpacing  time.Duration // between two sends; if zero, 3 s
	MinBackoff  time.Duration // first retry after a temporary error; if zero, 30 s
	MaxBackoff  time.Duration // longest pause between retries; if zero, 30 min
	MaxAttempts int           // temporary failures before giving up; if zero, 100
	Now         func() time.Time
	Logger      *slog.Logger
}

// ErrNoOwner is returned by Open without owner numbers.
var ErrNoOwner = errors.New("notify: no owner number")

// Notifier turns stored messages into SMS to the owners, through a
// durable outbox. See the package documentation.
type Notifier struct {
	cfg  Config
	disk disk
	log  *slog.Logger
	send Sender
	wake chan struct{}
	jrnl *journal

	mu        sync.Mutex
	batch     batch
	st        state
	notified  map[string]bool
	out       []*entry
	lastFlush time.Time
	lastSend  time.Time
	lastErr   string
	dirty     bool // the ledger has IDs not yet saved

	count counters // for Stats
}

// Open loads the outbox in cfg.Dir (creating it) and returns a notifier;
// Run sends.
func Open(cfg Config, s Sender) (*Notifier, error) {
	if len(cfg.Owners) == 0 {
		return nil, ErrNoOwner
	}
	for _, o := range cfg.Owners {
		if _, err := sms.Encode(sms.Message{To: o, Text: "x"}); err != nil {
			return nil, fmt.Errorf("notify: owner %q: %w", o, err)
		}
	}
	setDefaults(&cfg)
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("notify: %w", err)
	}
	n := &Notifier{cfg: cfg, disk: disk{cfg.Dir}, log: cfg.Logger, send: s, wake: make(chan struct{}, 1), notified: map[string]bool{}}
	n.disk.cleanTemps()
	j, sent, err := openJournal(cfg.Dir)
	if err != nil {
		return nil, err
	}
	n.jrnl = j
	if err := n.load(sent); err != nil {
		j.close()
		return nil, err
	}
	return n, nil
}

// Close releases the outbox; call it after Run returned.
func (n *Notifier) Close() error { return n.jrnl.close() }

func setDefaults(cfg *Config) {
	if cfg.MinSpacing <= 0 {
		cfg.MinSpacing = 3 * time.Second
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 30 * time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 30 * time.Minute
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 100
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
}

func (n *Notifier) load(sent map[string]int) error {
	if err := n.disk.readJSON("state.json", &n.st); err != nil && !errors.Is(err, os.ErrNotExist) {
		n.log.Error("notify: state unreadable; starting afresh", "err", err)
	}
	for _, id := range n.st.Notified {
		n.notified[id] = true
	}
	out, err := n.disk.entries()
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	n.out = out
	var done []*entry
	for _, e := range out {
		for _, id := range e.Items {
			n.notified[id] = true
		}
		e.Sent = max(e.Sent, sent[e.Name])
		if p := parts(e); p > 0 && e.Sent >= p {
			done = append(done, e) // sent just before a crash
		}
	}
	for _, e := range done {
		n.log.Info("notify: finishing an entry sent before a restart", "to", e.To)
		n.drop(e)
	}
	var b batch
	if err := n.disk.readJSON("pending.json", &b); err != nil && !errors.Is(err, os.ErrNotExist) {
		n.log.Error("notify: pending batch unreadable", "err", err)
	}
	// A batch saved before its items reached the ledger or the outbox is
	// stale: keep only what neither knows.
	for _, it := range b.Items {
		if !n.notified[it.ID] {
			n.batch.Items = append(n.batch.Items, it)
			n.notified[it.ID] = true
		}
	}
	n.batch.Since = b.Since
	return nil
}

// Add queues a notification for a stored message. The batch is saved
// without fsync: the store holds the message durably and Recover finds it
// again after a power loss. A message already notified is ignored.
func (n *Notifier) Add(it Item) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.notified[it.ID] {
		return nil
	}
	now := n.cfg.Now()
	if len(n.batch.Items) == 0 {
		n.batch.Since = now
		if n.cfg.Window > 0 && !n.lastFlush.IsZero() && now.Sub(n.lastFlush) < n.cfg.Window {
			n.batch.Since = n.lastFlush.Add(n.cfg.Window)
		}
	}
	if len(n.batch.Items) < maxPending {
		n.batch.Items = append(n.batch.Items, it)
	}
	if err := n.disk.writeJSON("pending.json", n.batch, false); err != nil {
		n.batch.Items = n.batch.Items[:len(n.batch.Items)-1]
		return err
	}
	n.notified[it.ID] = true
	n.poke()
	return nil
}

// Recover queues the stored messages that a crash kept from being
// notified: those not in the ledger. Call it at start with the store's
// unseen messages.
func (n *Notifier) Recover(items []Item) error {
	for _, it := range items {
		if err := n.Add(it); err != nil {
			return err
		}
	}
	return nil
}

// Len is the number of SMS waiting in the outbox, a batch counting once
// per owner.
func (n *Notifier) Len() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	l := len(n.out)
	if len(n.batch.Items) > 0 {
		l += len(n.cfg.Owners)
	}
	return l
}

// LastError is the last send error, for the status.
func (n *Notifier) LastError() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.lastErr
}

func (n *Notifier) poke() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// Run sends until ctx is done.
func (n *Notifier) Run(ctx context.Context) {
	for ctx.Err() == nil {
		// Taken before anything is tried: Ready is closed by the next
		// session to start, so a modem that comes back while a send is
		// failing with ErrAbsent, or before waitForWork, is not missed.
		ready := n.send.Ready()
		n.flushIfDue()
		if e := n.due(); e != nil {
			n.sendEntry(ctx, e)
			select {
			case <-ready:
				n.retryNow()
			default:
			}
			continue
		}
		n.waitForWork(ctx, ready)
	}
}

// flushIfDue turns a batch whose window has ended into outbox entries,
// then forgets the batch: one text per owner for the whole batch, or,
// with a zero window, one per message (several can be waiting when the
// sender was busy or at start, after Recover).
func (n *Notifier) flushIfDue() {
	n.mu.Lock()
	defer n.mu.Unlock()
	now := n.cfg.Now()
	if len(n.batch.Items) == 0 || now.Before(n.batch.Since) {
		return
	}
	for len(n.batch.Items) > 0 {
		k := len(n.batch.Items)
		if n.cfg.Window == 0 {
			k = 1
		}
		if err := n.queue(n.batch.Items[:k], now); err != nil {
			n.log.Error("notify: cannot queue", "err", err)
			return
		}
		n.batch.Items = n.batch.Items[k:]
	}
	n.batch = batch{}
	n.lastFlush = now
}

// queue writes one text about items for each owner to the outbox and
// records the items as notified. Called with n.mu held.
func (n *Notifier) queue(items []Item, now time.Time) error {
	text := compose(items, n.cfg.InboxURL)
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	var fresh []*entry
	for i, owner := range n.cfg.Owners {
		e := &entry{Name: entryName(ids[0], i), To: owner, Text: text, Ref: n.st.NextRef, Created: now, Items: ids}
		n.st.NextRef++
		if n.has(e.Name) {
			continue // flushed before a crash
		}
		if err := n.disk.writeJSON(e.Name, e, true); err != nil {
			return err
		}
		fresh = append(fresh, e)
	}
	n.out = append(n.out, fresh...)
	n.st.Notified = append(n.st.Notified, ids...)
	n.dirty = true
	n.log.Info("notify: queued", "messages", len(ids), "text", text)
	return nil
}

// saveLedger makes the ledger durable and drops the flushed batch file.
// It runs after the send that follows a flush, off the path from a stored
// message to its SMS, and always before an outbox file is removed: from
// then on only the ledger says the items were notified. Called with n.mu
// held.
func (n *Notifier) saveLedger() error {
	if !n.dirty {
		return nil
	}
	if over := len(n.st.Notified) - maxLedger; over > 0 {
		n.st.Notified = n.st.Notified[over:]
	}
	if err := n.disk.writeJSON("state.json", n.st, true); err != nil {
		return err
	}
	n.dirty = false
	if len(n.batch.Items) == 0 {
		return n.disk.remove("pending.json", false)
	}
	return n.disk.writeJSON("pending.json", n.batch, false)
}

func (n *Notifier) has(name string) bool {
	return slices.ContainsFunc(n.out, func(e *entry) bool { return e.Name == name })
}

// due returns the oldest entry whose retry time has come, when the
// spacing since the last send allows.
func (n *Notifier) due() *entry {
	n.mu.Lock()
	defer n.mu.Unlock()
	now := n.cfg.Now()
	if !n.lastSend.IsZero() && now.Sub(n.lastSend) < n.cfg.MinSpacing {
		return nil
	}
	for _, e := range n.out {
		if !now.Before(e.NextTry) {
			return e
		}
	}
	return nil
}

// waitForWork sleeps until the next batch or retry is due, something is
// added, or the modem comes back (ready is closed).
func (n *Notifier) waitForWork(ctx context.Context, ready <-chan struct{}) {
	n.mu.Lock()
	now := n.cfg.Now()
	var next time.Time
	consider := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	if len(n.batch.Items) > 0 {
		consider(n.batch.Since)
	}
	for _, e := range n.out {
		t := n.lastSend.Add(n.cfg.MinSpacing)
		if e.NextTry.After(t) {
			t = e.NextTry
		}
		consider(t)
	}
	n.mu.Unlock()
	var timer <-chan time.Time
	if !next.IsZero() {
		t := time.NewTimer(max(next.Sub(now), time.Millisecond))
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-ctx.Done():
	case <-n.wake:
	case <-timer:
	case <-ready:
		n.retryNow()
	}
}

// retryNow makes every entry due: the modem has just come back.
func (n *Notifier) retryNow() {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, e := range n.out {
		e.NextTry = time.Time{}
	}
}

// sendEntry sends the parts of e that the modem has not accepted yet,
// saving progress after each part so that a restart never sends a part
// twice.
func (n *Notifier) sendEntry(ctx context.Context, e *entry) {
	pdus, err := sms.Encode(sms.Message{To: e.To, Text: e.Text, Ref: e.Ref})
	for err == nil && e.Sent < len(pdus) {
		_, err = n.send.Send(ctx, pdus[e.Sent])
		if !errors.Is(err, modem.ErrAbsent) { // spacing protects the modem, not the queue
			n.mu.Lock()
			n.lastSend = n.cfg.Now()
			n.mu.Unlock()
		}
		if err == nil {
			e.Sent++
			err = n.jrnl.record(e.Name, e.Sent)
		}
	}
	switch {
	case err == nil:
		n.log.Info("notify: sent", "to", e.To, "parts", len(pdus))
		n.count.sent.Add(1)
		n.drop(e)
	case ctx.Err() != nil:
	case modem.Temporary(err) && e.Attempts+1 < n.cfg.MaxAttempts:
		n.retryLater(e, err)
	default:
		n.log.Error("notify: dropped", "to", e.To, "text", e.Text, "attempts", e.Attempts+1, "err", err)
		n.count.failed.Add(1)
		n.setErr(err)
		n.drop(e)
	}
}

func (n *Notifier) retryLater(e *entry, err error) {
	n.setErr(err)
	n.mu.Lock()
	if !errors.Is(err, modem.ErrAbsent) {
		e.Attempts++ // an absent modem does not use up attempts
	}
	d := n.cfg.MinBackoff << min(max(e.Attempts-1, 0), 16)
	e.NextTry = n.cfg.Now().Add(min(d, n.cfg.MaxBackoff))
	e.LastErr = err.Error()
	n.mu.Unlock()
	n.log.Warn("notify: will retry", "to", e.To, "at", e.NextTry, "err", err)
	if err := n.save(e); err != nil {
		n.log.Error("notify: cannot save", "err", err)
	}
}

func (n *Notifier) save(e *entry) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.disk.writeJSON(e.Name, e, true)
}

// drop removes a finished entry: its items go to the durable ledger
// first, then its file goes.
func (n *Notifier) drop(e *entry) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, id := range e.Items {
		if !slices.Contains(n.st.Notified, id) {
			n.st.Notified = append(n.st.Notified, id)
			n.dirty = true
		}
	}
	if err := n.saveLedger(); err != nil {
		n.log.Error("notify: cannot save the ledger; keeping the sent entry", "err", err)
		e.NextTry = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
		return
	}
	if err := n.disk.remove(e.Name, true); err != nil {
		n.log.Error("notify: cannot remove sent entry", "err", err)
	}
	n.out = slices.DeleteFunc(n.out, func(x *entry) bool { return x == e })
	if len(n.out) == 0 {
		if err := n.jrnl.reset(); err != nil {
			n.log.Warn("notify: cannot empty the journal", "err", err)
		}
	}
}

// parts is how many SMS parts e's text takes.
func parts(e *entry) int {
	pdus, err := sms.Encode(sms.Message{To: e.To, Text: e.Text, Ref: e.Ref})
	if err != nil {
		return 0 // undecodable: Run drops it with the error
	}
	return len(pdus)
}

func (n *Notifier) setErr(err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.lastErr = err.Error()
}
