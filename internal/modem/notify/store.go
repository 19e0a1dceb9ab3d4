package notify

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/homemmsc/homemmsc/internal/atomicfile"
)

// Limits.
const (
	maxLedger  = 4096 // item IDs remembered as notified
	maxPending = 1000 // items in one batch; more are counted but not listed
)

// entry is one SMS in the outbox: a file out-<name>.json.
type entry struct {
	Name     string    `json:"-"`
	To       string    `json:"to"`
	Text     string    `json:"text"`
	Ref      uint16    `json:"ref"`      // concatenation reference
	Sent     int       `json:"sent"`     // parts the modem has accepted
	Attempts int       `json:"attempts"` // temporary failures so far
	NextTry  time.Time `json:"next_try"` // not before
	Created  time.Time `json:"created"`  // when queued
	Items    []string  `json:"items"`    // the store IDs it tells of
	LastErr  string    `json:"last_error,omitempty"`
}

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

// disk is the outbox directory. All writes are atomic: temp file, fsync,
// rename, fsync of the directory.
type disk struct{ dir string }

func (d disk) path(name string) string { return filepath.Join(d.dir, name) }

// writeJSON replaces name with v. durable adds the fsyncs that make the
// new content survive a power loss; without them the rename is still
// atomic for a process crash.
func (d disk) writeJSON(name string, v any, durable bool) error {
	if err := atomicfile.WriteJSON(d.path(name), v, durable); err != nil {
		return fmt.Errorf("notify: writing %s: %w", name, err)
	}
	return nil
}

func (d disk) readJSON(name string, v any) error {
	if err := atomicfile.ReadJSON(d.path(name), v); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	return nil
}

func (d disk) remove(name string, durable bool) error {
	return atomicfile.Remove(d.path(name), durable)
}

func (d disk) syncDir() error { return atomicfile.SyncDir(d.dir) }

// cleanTemps removes temp files a crash left behind.
func (d disk) cleanTemps() { atomicfile.RemoveTemps(d.dir) }

// entries loads the outbox, oldest first. Unreadable files are moved
// aside (renamed .bad) so that one bad file does not block the queue.
func (d disk) entries() ([]*entry, error) {
	names, err := filepath.Glob(d.path("out-*.json"))
	if err != nil {
		return nil, err
	}
	var es []*entry
	for _, p := range names {
		e := &entry{Name: filepath.Base(p)}
		if err := d.readJSON(e.Name, e); err != nil {
			os.Rename(p, p+".bad")
			continue
		}
		es = append(es, e)
	}
	sort.Slice(es, func(i, j int) bool {
		if !es[i].Created.Equal(es[j].Created) {
			return es[i].Created.Before(es[j].Created)
		}
		return es[i].Name < es[j].Name
	})
	return es, nil
}

// entryName is deterministic for a batch and an owner, so that a batch
// flushed again after a crash does not queue the SMS twice.
func entryName(firstItem string, owner int) string {
	safe := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, firstItem)
	if len(safe) > 64 {
		safe = safe[:64]
	}
	return fmt.Sprintf("out-%s-%d.json", safe, owner)
}
