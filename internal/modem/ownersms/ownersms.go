package ownersms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/homemmsc/homemmsc/internal/atomicfile"
	"github.com/homemmsc/homemmsc/internal/modem"
	"github.com/homemmsc/homemmsc/internal/modem/sms"
	"github.com/homemmsc/homemmsc/internal/outbox"
)

// Kind is the outbox kind of the owner's texts.
const Kind = "owner-sms"

// Sender hands one PDU to a modem; *modem.Device is one. Ready's channel
// closes when the modem is (back) in service.
type Sender interface {
	Send(ctx context.Context, p sms.PDU) (int, error)
	Ready() <-chan struct{}
}

// Config configures a Notifier. Dir, Owners and Outbox are required.
type Config struct {
	Dir      string         // the ledger and the batch (created if missing); may be the outbox's directory
	Owners   []string       // numbers to text, "+…" international
	InboxURL string         // link appended to every text; if empty, none
	Window   time.Duration  // coalescing window after a text; if zero, no coalescing
	Outbox   *outbox.Outbox // where the texts wait to be sent (kind Kind); its Run sends them
	Now      func() time.Time
	Logger   *slog.Logger
}

// Limits.
const (
	maxLedger  = 4096 // item IDs remembered as notified
	maxPending = 1000 // items in one batch; more are counted but not listed
)

// ErrNoOwner is returned by Open without owner numbers.
var ErrNoOwner = errors.New("ownersms: no owner number")

// batch is the items waiting to be coalesced: pending.json.
type batch struct {
	Items []Item    `json:"items"`
	Since time.Time `json:"since"` // when the window ends
}

// state is state.json: the notified ledger and the reference counter.
type state struct {
	Notified []string `json:"notified"`
	NextRef  uint16   `json:"next_ref"`
}

// Notifier turns stored messages into SMS to the owners, through the
// outbox. See the package documentation.
type Notifier struct {
	cfg  Config
	log  *slog.Logger
	box  *outbox.Outbox
	wake chan struct{}

	mu        sync.Mutex
	batch     batch
	st        state
	notified  map[string]bool
	lastFlush time.Time
}

// Open loads the ledger and the batch in cfg.Dir and registers the
// owner's texts with cfg.Outbox, sent through s; Run flushes batches.
func Open(cfg Config, s Sender) (*Notifier, error) {
	if len(cfg.Owners) == 0 {
		return nil, ErrNoOwner
	}
	if cfg.Outbox == nil {
		return nil, errors.New("ownersms: no outbox")
	}
	for _, o := range cfg.Owners {
		if _, err := sms.Encode(sms.Message{To: o, Text: "x"}); err != nil {
			return nil, fmt.Errorf("ownersms: owner %q: %w", o, err)
		}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("ownersms: %w", err)
	}
	atomicfile.RemoveTemps(cfg.Dir)
	n := &Notifier{cfg: cfg, log: cfg.Logger, box: cfg.Outbox, wake: make(chan struct{}, 1), notified: map[string]bool{}}
	cfg.Outbox.Handle(Kind, outbox.Kind{Handler: texts{n, s}, Temporary: modem.Temporary, Ready: s.Ready,
		Absent: func(err error) bool { return errors.Is(err, modem.ErrAbsent) }})
	n.load()
	if err := n.importLegacy(); err != nil {
		return nil, err
	}
	return n, nil
}

func (n *Notifier) path(name string) string { return filepath.Join(n.cfg.Dir, name) }

// load reads the ledger and the batch. A batch saved before its items
// reached the ledger or the outbox is stale: only what neither knows is
// kept.
func (n *Notifier) load() {
	if err := atomicfile.ReadJSON(n.path("state.json"), &n.st); err != nil && !errors.Is(err, os.ErrNotExist) {
		n.log.Error("ownersms: state unreadable; starting afresh", "err", err)
	}
	for _, id := range n.st.Notified {
		n.notified[id] = true
	}
	for _, it := range n.box.Items(Kind) {
		var p text
		if json.Unmarshal(it.Payload, &p) == nil {
			for _, id := range p.Items {
				n.notified[id] = true
			}
		}
	}
	var b batch
	if err := atomicfile.ReadJSON(n.path("pending.json"), &b); err != nil && !errors.Is(err, os.ErrNotExist) {
		n.log.Error("ownersms: pending batch unreadable", "err", err)
	}
	for _, it := range b.Items {
		if !n.notified[it.ID] {
			n.batch.Items = append(n.batch.Items, it)
			n.notified[it.ID] = true
		}
	}
	n.batch.Since = b.Since
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
	if err := atomicfile.WriteJSON(n.path("pending.json"), n.batch, false); err != nil {
		n.batch.Items = n.batch.Items[:len(n.batch.Items)-1]
		return fmt.Errorf("ownersms: writing pending.json: %w", err)
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

// Len is the number of SMS waiting, a batch counting once per owner; 0
// for a nil n (notifications off).
func (n *Notifier) Len() int {
	if n == nil {
		return 0
	}
	l := n.box.Len(Kind)
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.batch.Items) > 0 {
		l += len(n.cfg.Owners)
	}
	return l
}

// LastError is the last send error, for the status.
func (n *Notifier) LastError() string { return n.box.Stats(Kind).LastError }

func (n *Notifier) poke() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// Run turns each batch into texts when its window ends, until ctx is
// done; the outbox's Run sends them.
func (n *Notifier) Run(ctx context.Context) {
	for ctx.Err() == nil {
		n.flushIfDue()
		n.mu.Lock()
		var timer <-chan time.Time
		if len(n.batch.Items) > 0 {
			t := time.NewTimer(max(n.batch.Since.Sub(n.cfg.Now()), time.Millisecond))
			defer t.Stop()
			timer = t.C
		}
		n.mu.Unlock()
		select {
		case <-ctx.Done():
		case <-n.wake:
		case <-timer:
		}
	}
}

// flushIfDue turns a batch whose window has ended into texts in the
// outbox, then forgets the batch: one text per owner for the whole batch,
// or, with a zero window, one per message (several can be waiting when
// the sender was busy or at start, after Recover).
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
			n.log.Error("ownersms: cannot queue", "err", err)
			return
		}
		n.batch.Items = n.batch.Items[k:]
	}
	n.batch = batch{}
	n.lastFlush = now
	if err := n.saveLedger(); err != nil {
		n.log.Error("ownersms: cannot save the ledger", "err", err)
	}
}

// queue adds one text about items for each owner to the outbox and
// records the items as notified. Its ids are deterministic for a batch
// and an owner: a batch flushed again after a crash is not queued twice.
// Called with n.mu held.
func (n *Notifier) queue(items []Item, now time.Time) error {
	body := compose(items, n.cfg.InboxURL)
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	for i, owner := range n.cfg.Owners {
		p, err := json.Marshal(text{To: owner, Text: body, Ref: n.st.NextRef, Items: ids})
		if err != nil {
			return err
		}
		n.st.NextRef++
		if err := n.box.Add(outbox.Item{ID: itemID(ids[0], i), Kind: Kind, Payload: p, Created: now}); err != nil {
			return err
		}
	}
	n.st.Notified = append(n.st.Notified, ids...)
	n.log.Info("ownersms: queued", "messages", len(ids), "text", body)
	return nil
}

// saveLedger makes the ledger durable, then drops the flushed batch file.
// Called with n.mu held.
func (n *Notifier) saveLedger() error {
	if over := len(n.st.Notified) - maxLedger; over > 0 {
		n.st.Notified = n.st.Notified[over:]
	}
	if err := atomicfile.WriteJSON(n.path("state.json"), n.st, true); err != nil {
		return fmt.Errorf("ownersms: writing state.json: %w", err)
	}
	return atomicfile.Remove(n.path("pending.json"), false)
}

// itemID is the outbox id of the text about a batch that starts with
// firstItem, to owner number i.
func itemID(firstItem string, owner int) string {
	safe := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, firstItem)
	if len(safe) > 64 {
		safe = safe[:64]
	}
	return fmt.Sprintf("%s-%d", safe, owner)
}
