package mm3

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/homemmsc/homemmsc/internal/atomicfile"
	"github.com/homemmsc/homemmsc/internal/store"
)

// Queue is the durable outbox as the feed needs it: Add queues the
// e-mail of stored message id; adding an id that is still queued does
// nothing.
type Queue interface {
	Add(id string) error
}

// feedQueue bounds the arrivals waiting to be queued; past it the store's
// Subscription reads the rest back.
const feedQueue = 64

// maxRecover bounds how many of the newest messages are checked at start.
const maxRecover = 200

// Ledger remembers, under its directory, from which message on e-mail
// forwarding is on and which messages the outbox is done with (sent or
// given up), so that neither a restart nor turning forwarding on sends an
// e-mail twice or mails the whole archive:
//
//	start      the id of the newest message stored when forwarding was
//	           first turned on: it and older ones are not sent
//	done.log   one id a line, appended and synced when the outbox is
//	           done with the message's e-mail
type Ledger struct {
	dir string
	log *slog.Logger

	mu    sync.Mutex // orders Done against the feed's Add (see add)
	start uint64     // sequence of the start message; 0: none
	done  map[string]bool
	f     *os.File // done.log, appended
}

// OpenLedger opens the ledger in dir, the first time marking the newest
// message in st as where forwarding starts.
func OpenLedger(dir string, st *store.Store, log *slog.Logger) (*Ledger, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	atomicfile.RemoveTemps(dir)
	l := &Ledger{dir: dir, log: log, done: map[string]bool{}}
	if err := l.readStart(st); err != nil {
		return nil, err
	}
	if err := l.readDone(); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, "done.log"), os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	l.f = f
	if err := l.endLine(); err != nil {
		f.Close()
		return nil, err
	}
	return l, nil
}

// endLine ends a last line that a crash cut short, so the next id is
// not glued to it.
func (l *Ledger) endLine() error {
	fi, err := l.f.Stat()
	if err != nil || fi.Size() == 0 {
		return err
	}
	last := make([]byte, 1)
	if _, err := l.f.ReadAt(last, fi.Size()-1); err != nil {
		return err
	}
	if last[0] == '\n' {
		return nil
	}
	_, err = l.f.WriteString("\n")
	return err
}

func (l *Ledger) readStart(st *store.Store) error {
	path := filepath.Join(l.dir, "start")
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		newest, err := markStart(l.dir, st)
		if err != nil {
			return err
		}
		l.log.Info("mm3: e-mail forwarding starts with the next message", "after", newest)
		b = []byte(newest)
	} else if err != nil {
		return err
	}
	if id := strings.TrimSpace(string(b)); id != "" {
		seq, ok := sequence(id)
		if !ok {
			return fmt.Errorf("mm3: %s holds %q, not a message id", path, id)
		}
		l.start = seq
	}
	return nil
}

func (l *Ledger) readDone() error {
	f, err := os.Open(filepath.Join(l.dir, "done.log"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if id := strings.TrimSpace(sc.Text()); id != "" { // a line cut by a crash is a prefix: no id matches it
			l.done[id] = true
		}
	}
	return sc.Err()
}

// markStart writes the newest message in st as where forwarding starts.
func markStart(dir string, st *store.Store) (string, error) {
	newest := ""
	if ids := st.IDs(store.Query{Limit: 1}); len(ids) > 0 {
		newest = ids[0]
	}
	return newest, atomicfile.Write(filepath.Join(dir, "start"), []byte(newest+"\n"), true)
}

// Off is called when the appliance runs with forwarding off: if it was on
// before (dir exists), forwarding will start again with the next message
// after it is turned back on, rather than mail what arrived meanwhile.
func Off(dir string, st *store.Store) error {
	if _, err := os.Stat(dir); err != nil {
		return nil // never on
	}
	_, err := markStart(dir, st)
	return err
}

// Close closes the ledger's file.
func (l *Ledger) Close() error { return l.f.Close() }

// Done records that the outbox is done with message id's e-mail; it may
// be called again for the same id (the outbox repeats it after a crash).
func (l *Ledger) Done(id string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done[id] {
		return nil
	}
	if _, err := l.f.WriteString(id + "\n"); err != nil {
		return err
	}
	if err := l.f.Sync(); err != nil {
		return err
	}
	l.done[id] = true
	return nil
}

// add queues id unless the outbox is done with it or it is from before
// forwarding started. Holding mu while adding means a concurrent Done
// either came first (and add sees it) or waits until the Add is in, when
// the outbox still holds the item and the Add does nothing.
func (l *Ledger) add(q Queue, id string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if seq, ok := sequence(id); !ok || seq <= l.start || l.done[id] {
		return nil
	}
	return q.Add(id)
}

// Feed queues the e-mail of every message st stores from now on, until
// ctx is done, after queueing those stored since forwarding started that
// the outbox is not done with (the newest maxRecover: a crash between a
// Put and its Add, or a store opened before the feed). The store only
// queues the arrival (a Subscription named "e-mail"); the outbox's synced
// Add runs on Feed's goroutine. wait returns once it has stopped.
func (l *Ledger) Feed(ctx context.Context, st *store.Store, q Queue) (wait func()) {
	sub := st.Subscribe("e-mail", feedQueue, store.Stored)
	ids := st.IDs(store.Query{Limit: maxRecover}) // newest first
	for i := len(ids) - 1; i >= 0; i-- {
		if err := l.add(q, ids[i]); err != nil {
			l.log.Error("mm3: cannot queue e-mail", "id", ids[i], "err", err)
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sub.Run(ctx, func(ev store.Event) {
			if err := l.add(q, ev.Meta.ID); err != nil {
				l.log.Error("mm3: cannot queue e-mail", "id", ev.Meta.ID, "err", err)
			}
		})
	}()
	return func() { <-done }
}

// sequence is the sequence number of a store id ("YYYYMMDD-hhmmss-NNNNNN"),
// which orders ids; the time in them may be wrong (a Pi without a clock).
func sequence(id string) (uint64, bool) {
	i := strings.LastIndexByte(id, '-')
	if i < 0 {
		return 0, false
	}
	n, err := strconv.ParseUint(id[i+1:], 10, 64)
	return n, err == nil
}
