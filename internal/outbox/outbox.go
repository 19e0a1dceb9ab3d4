package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// Item is one thing to send.
type Item struct {
	ID       string          `json:"id"`   // unique in its kind; letters, digits, '-' and '_'
	Kind     string          `json:"kind"` // whose Handler sends it; letters, digits, '-' and '_'
	Payload  json.RawMessage `json:"payload,omitempty"`
	Created  time.Time       `json:"created"`
	NextTry  time.Time       `json:"next_try,omitzero"` // not before; zero: at once
	Expires  time.Time       `json:"expires,omitzero"`  // given up from then on; zero: never
	Attempts int             `json:"attempts"`          // failed attempts that counted
	Steps    int             `json:"steps"`             // sub-steps done (SMS parts accepted), kept across restarts
	Tried    time.Time       `json:"tried,omitzero"`    // when the latest attempt started
	LastErr  string          `json:"last_error,omitempty"`

	file    string // item.<kind>.<id>.json
	sent    bool   // progress.log says sent: only Done is left
	removed bool   // Remove took it out while it was being sent
}

// Handler sends the items of one kind.
type Handler interface {
	// Send sends it, resuming after it.Steps sub-steps; it calls step
	// after each sub-step the far end has taken (an SMS part), which
	// records it durably before Send goes on.
	Send(ctx context.Context, it Item, step func() error) error
	// Done is told the outcome: nil once it was sent, else the error it
	// was given up with (ErrExpired, a permanent error, the last of too
	// many). It may be called twice for one item after a crash.
	Done(it Item, err error)
}

// Kind is how the items of one kind are sent.
type Kind struct {
	Handler     Handler
	MaxAttempts int              // temporary failures before giving up; if zero, Config.MaxAttempts
	Temporary   func(error) bool // worth retrying; if nil, every error is
	Absent      func(error) bool // the transport is missing: retried without using an attempt; may be nil
	// Ready, if set, returns a channel closed when the transport is
	// (back) in service: the kind's waiting items are then due at once.
	// *modem.Device's Ready is one.
	Ready func() <-chan struct{}
	// Unspaced marks a kind that does not go through the shared modem
	// (e-mail): it neither waits for MinSpacing nor counts towards it.
	Unspaced bool
}

// Config configures an Outbox. Dir is required.
type Config struct {
	Dir         string           // created if missing; may hold other files than the outbox's
	MinSpacing  time.Duration    // between two sends; if zero, 3 s; negative: none
	MinBackoff  time.Duration    // first retry after a temporary error; if zero, 30 s
	MaxBackoff  time.Duration    // longest wait between retries; if zero, 30 min
	MaxAttempts int              // if zero, 100
	Now         func() time.Time // if nil, time.Now
	Logger      *slog.Logger     // if nil, logs are discarded
}

// Stats are one kind's counts.
type Stats struct {
	Sent      uint64 // items sent
	Failed    uint64 // items given up
	Queued    int    // items waiting
	LastError string // of the latest failed attempt
}

// ErrExpired is the error Done gets for an item past its Expires.
var ErrExpired = errors.New("outbox: expired")

// ErrNoHandler is returned by Add for a kind nobody handles.
var ErrNoHandler = errors.New("outbox: no handler for this kind")

// Outbox is the durable queue. Its methods are safe for concurrent use;
// Run sends.
type Outbox struct {
	cfg  Config
	log  *slog.Logger
	wake chan struct{}
	jrnl *journal

	mu       sync.Mutex
	kinds    map[string]Kind
	items    []*Item   // oldest first
	lastSend time.Time // of the last spaced send
	stats    map[string]*Stats
	back     map[string]bool // kinds whose transport came back since Run last looked
	runCtx   context.Context // Run's, for the Ready watchers of kinds handled later; nil before Run
}

// Open loads the outbox in cfg.Dir; register the kinds with Handle, then
// call Run.
func Open(cfg Config) (*Outbox, error) {
	setDefaults(&cfg)
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	d := disk{cfg.Dir}
	d.cleanTemps()
	j, progress, err := openJournal(cfg.Dir)
	if err != nil {
		return nil, err
	}
	items, err := d.items()
	if err != nil {
		j.close()
		return nil, err
	}
	for _, it := range items {
		p := progress[it.file]
		it.Steps = max(it.Steps, p.steps)
		it.sent = p.done
	}
	return &Outbox{cfg: cfg, log: cfg.Logger, wake: make(chan struct{}, 1), jrnl: j,
		kinds: map[string]Kind{}, items: items, stats: map[string]*Stats{}, back: map[string]bool{}}, nil
}

func setDefaults(cfg *Config) {
	if cfg.MinSpacing == 0 {
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

// Close releases the outbox; call it after Run returned.
func (o *Outbox) Close() error { return o.jrnl.close() }

// Handle registers how the items of kind are sent. Items of a kind with
// no handler wait.
func (o *Outbox) Handle(kind string, k Kind) {
	if k.MaxAttempts <= 0 {
		k.MaxAttempts = o.cfg.MaxAttempts
	}
	o.mu.Lock()
	o.kinds[kind] = k
	o.statsOf(kind)
	ctx := o.runCtx
	o.mu.Unlock()
	if ctx != nil && k.Ready != nil {
		go o.watch(ctx, kind, k.Ready, k.Ready())
	}
	o.poke()
}

// Add queues it durably; an item of the same kind and ID already queued
// is left as it is. Created is set if zero.
func (o *Outbox) Add(it Item) error {
	if !safeName(it.Kind) || !safeName(it.ID) {
		return fmt.Errorf("outbox: unusable kind %q or id %q", it.Kind, it.ID)
	}
	it.file = fileName(it.Kind, it.ID)
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, ok := o.kinds[it.Kind]; !ok {
		return fmt.Errorf("%w: %s", ErrNoHandler, it.Kind)
	}
	if o.find(it.file) != nil {
		return nil
	}
	if it.Created.IsZero() {
		it.Created = o.cfg.Now()
	}
	it.sent, it.removed = false, false
	if err := (disk{o.cfg.Dir}).write(&it); err != nil {
		return err
	}
	o.items = append(o.items, &it)
	o.poke()
	return nil
}

// Has reports whether an item of kind and id is queued.
func (o *Outbox) Has(kind, id string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.find(fileName(kind, id)) != nil
}

// Items returns copies of the items of kind waiting, oldest first.
func (o *Outbox) Items(kind string) []Item {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []Item
	for _, it := range o.items {
		if it.Kind == kind {
			out = append(out, *it)
		}
	}
	return out
}

// Remove drops a queued item without telling its Handler: its reason to
// be sent is gone (a deleted message). An attempt in progress finishes;
// its outcome is not reported.
func (o *Outbox) Remove(kind, id string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	it := o.find(fileName(kind, id))
	if it == nil {
		return nil
	}
	it.removed = true
	return o.drop(it)
}

// Kinds lists the kinds registered with Handle, sorted.
func (o *Outbox) Kinds() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	ks := make([]string, 0, len(o.kinds))
	for k := range o.kinds {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// Len counts the items waiting of kind, or of every kind for "".
func (o *Outbox) Len(kind string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.count(kind)
}

func (o *Outbox) count(kind string) int {
	n := 0
	for _, it := range o.items {
		if kind == "" || it.Kind == kind {
			n++
		}
	}
	return n
}

// Stats reports the counts of kind.
func (o *Outbox) Stats(kind string) Stats {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := *o.statsOf(kind)
	s.Queued = o.count(kind)
	return s
}

// statsOf is kind's counters; the caller holds o.mu.
func (o *Outbox) statsOf(kind string) *Stats {
	s, ok := o.stats[kind]
	if !ok {
		s = &Stats{}
		o.stats[kind] = s
	}
	return s
}

func (o *Outbox) find(file string) *Item {
	for _, it := range o.items {
		if it.file == file {
			return it
		}
	}
	return nil
}

func (o *Outbox) poke() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Run sends until ctx is done.
func (o *Outbox) Run(ctx context.Context) {
	o.mu.Lock()
	o.runCtx = ctx
	for kind, k := range o.kinds {
		if k.Ready != nil {
			go o.watch(ctx, kind, k.Ready, k.Ready()) // the channel now, before anything is tried
		}
	}
	o.mu.Unlock()
	for ctx.Err() == nil {
		if !o.SendNext(ctx) {
			o.wait(ctx)
		}
		o.retryBack()
	}
}

// watch notes each time kind's transport comes back, until ctx is done.
// It is given the first channel by its caller, taken before anything is
// tried (a goroutine taking it itself might start only after the first
// failing send, and wait on the next session's channel), and Run looks
// at the note after each attempt: a transport that comes back while a
// send is failing for its absence is not missed.
func (o *Outbox) watch(ctx context.Context, kind string, ready func() <-chan struct{}, ch <-chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-ch:
		}
		ch = ready()
		o.mu.Lock()
		o.back[kind] = true
		o.mu.Unlock()
		o.poke()
	}
}

// SendNext does the next thing due now: it reports an item sent before a
// restart, gives up an expired one, or attempts the oldest item due when
// the spacing since the last send allows. It reports whether it did
// anything; Run is a loop of SendNext and waiting.
func (o *Outbox) SendNext(ctx context.Context) bool {
	it, k, attempt := o.next()
	switch {
	case it == nil:
		return false
	case !attempt && it.sent:
		o.finish(it, k, nil)
	case !attempt:
		o.finish(it, k, ErrExpired)
	default:
		o.attempt(ctx, it, k)
	}
	return true
}

// next picks what SendNext does: an item whose Done is owed or which
// expired (attempt false), else the oldest item due (attempt true).
func (o *Outbox) next() (it *Item, k Kind, attempt bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.cfg.Now()
	spaced := o.cfg.MinSpacing > 0 && !o.lastSend.IsZero() && now.Sub(o.lastSend) < o.cfg.MinSpacing
	var due *Item
	for _, x := range o.items {
		kx, ok := o.kinds[x.Kind]
		switch {
		case !ok:
		case x.sent || (!x.Expires.IsZero() && !now.Before(x.Expires)):
			return x, kx, false
		case due == nil && !now.Before(x.NextTry) && (kx.Unspaced || !spaced):
			due, k = x, kx
		}
	}
	if due == nil {
		return nil, Kind{}, false
	}
	return due, k, true
}

// attempt sends it once and records the outcome.
func (o *Outbox) attempt(ctx context.Context, it *Item, k Kind) {
	o.mu.Lock()
	it.Tried = o.cfg.Now()
	o.mu.Unlock()
	step := func() error {
		it.Steps++
		return o.jrnl.record(it.file, it.Steps)
	}
	err := k.Handler.Send(ctx, *it, step)
	absent := err != nil && k.Absent != nil && k.Absent(err)
	o.mu.Lock()
	if !absent && !k.Unspaced { // spacing protects the modem, not the queue
		o.lastSend = o.cfg.Now()
	}
	removed := it.removed
	o.mu.Unlock()
	switch {
	case removed || ctx.Err() != nil && err != nil:
	case err == nil:
		if jerr := o.jrnl.done(it.file); jerr != nil {
			o.log.Error("outbox: cannot record a send; it may be sent again after a restart", "item", it.file, "err", jerr)
		}
		o.finish(it, k, nil)
	case (k.Temporary == nil || k.Temporary(err)) && (absent || it.Attempts+1 < k.MaxAttempts):
		o.retryLater(it, err, absent)
	default:
		o.log.Error("outbox: given up", "item", it.file, "attempts", it.Attempts+1, "err", err)
		o.finish(it, k, err)
	}
}

// retryLater schedules the next attempt with exponential back-off.
func (o *Outbox) retryLater(it *Item, err error, absent bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !absent {
		it.Attempts++ // an absent transport does not use up attempts
	}
	d := o.cfg.MinBackoff << min(max(it.Attempts-1, 0), 16)
	it.NextTry = o.cfg.Now().Add(min(d, o.cfg.MaxBackoff))
	it.LastErr = err.Error()
	o.statsOf(it.Kind).LastError = it.LastErr
	o.log.Warn("outbox: will retry", "item", it.file, "at", it.NextTry, "err", err)
	if it.removed {
		return
	}
	if werr := (disk{o.cfg.Dir}).write(it); werr != nil {
		o.log.Error("outbox: cannot save", "item", it.file, "err", werr)
	}
}

// finish tells the Handler the outcome, then removes the item.
func (o *Outbox) finish(it *Item, k Kind, err error) {
	k.Handler.Done(*it, err)
	o.mu.Lock()
	defer o.mu.Unlock()
	s := o.statsOf(it.Kind)
	if err == nil {
		s.Sent++
	} else {
		s.Failed++
		s.LastError = err.Error()
	}
	if it.removed {
		return
	}
	if derr := o.drop(it); derr != nil {
		o.log.Error("outbox: cannot remove a finished item", "item", it.file, "err", derr)
	}
}

// drop removes it from the queue and its file; the caller holds o.mu.
func (o *Outbox) drop(it *Item) error {
	o.items = slices.DeleteFunc(o.items, func(x *Item) bool { return x == it })
	err := (disk{o.cfg.Dir}).remove(it.file)
	if len(o.items) == 0 {
		if jerr := o.jrnl.reset(); jerr != nil {
			o.log.Warn("outbox: cannot empty the journal", "err", jerr)
		}
	}
	return err
}

// wait sleeps until an item is due, something is added, or a transport
// comes back.
func (o *Outbox) wait(ctx context.Context) {
	next, ok := o.nextDue()
	var timer <-chan time.Time
	if ok {
		t := time.NewTimer(max(next.Sub(o.cfg.Now()), time.Millisecond))
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-ctx.Done():
	case <-o.wake:
	case <-timer:
	}
}

// nextDue is when SendNext next has something to do.
func (o *Outbox) nextDue() (time.Time, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var next time.Time
	consider := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	for _, it := range o.items {
		k, ok := o.kinds[it.Kind]
		if !ok {
			continue
		}
		t := it.NextTry
		if !k.Unspaced && o.cfg.MinSpacing > 0 && !o.lastSend.IsZero() {
			t = later(t, o.lastSend.Add(o.cfg.MinSpacing))
		}
		consider(t)
		if !it.Expires.IsZero() {
			consider(it.Expires)
		}
	}
	return next, !next.IsZero()
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// retryBack makes the waiting items of the kinds whose transport came
// back due at once.
func (o *Outbox) retryBack() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.back) == 0 {
		return
	}
	for _, it := range o.items {
		if o.back[it.Kind] {
			it.NextTry = time.Time{}
		}
	}
	clear(o.back)
}

// safeName reports whether s can be part of a file name.
func safeName(s string) bool {
	return s != "" && len(s) <= 96 && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == ""
}

func fileName(kind, id string) string { return "item." + kind + "." + id + ".json" }

// Start runs o until ctx is done, then closes it; stop ends it and waits.
func (o *Outbox) Start(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		o.Run(ctx)
		if err := o.Close(); err != nil {
			o.log.Warn("outbox: closing", "err", err)
		}
	}()
	return func() { cancel(); <-done }
}
