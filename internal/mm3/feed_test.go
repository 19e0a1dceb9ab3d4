package mm3

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// queue is a strict stand-in for the outbox's Add: it records each id
// once, as the outbox keeps one item per id.
type queue struct {
	mu    sync.Mutex
	ids   []string
	added chan struct{} // a token per Add
}

func newQueue() *queue { return &queue{added: make(chan struct{}, 100)} }

func (q *queue) Add(id string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !slices.Contains(q.ids, id) {
		q.ids = append(q.ids, id)
	}
	q.added <- struct{}{}
	return nil
}

func (q *queue) list() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.ids)
}

// waitFor waits until q holds want (the feed's goroutine adds); the
// timeout only bounds a hang.
func (q *queue) waitFor(t *testing.T, want []string) {
	t.Helper()
	for !slices.Equal(q.list(), want) {
		select {
		case <-q.added:
		case <-time.After(10 * time.Second):
			t.Fatalf("queued %v, want %v", q.list(), want)
		}
	}
}

// TestFeedStartsNow: turning forwarding on does not mail the archive;
// the next message is queued.
func TestFeedStartsNow(t *testing.T) {
	st := openStore(t)
	put(t, st, picture(), anna)
	put(t, st, picture(), anna)
	l, err := OpenLedger(t.TempDir(), st, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	q := newQueue()
	ctx, cancel := context.WithCancel(context.Background())
	wait := l.Feed(ctx, st, q)
	m := put(t, st, picture(), anna)
	q.waitFor(t, []string{m.ID})
	cancel()
	wait()
}

// TestFeedRecovers: after a restart, what was stored since forwarding
// started and not done is queued again; what the outbox is done with is
// not, even when the last line of done.log was cut by a crash.
func TestFeedRecovers(t *testing.T) {
	st := openStore(t)
	dir := t.TempDir()
	l, err := OpenLedger(dir, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := put(t, st, picture(), anna), put(t, st, picture(), anna), put(t, st, picture(), anna)
	if err := l.Done(a.ID); err != nil {
		t.Fatal(err)
	}
	l.Done(a.ID) // repeated by the outbox after a crash
	l.Close()
	f, _ := os.OpenFile(filepath.Join(dir, "done.log"), os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(c.ID[:10]) // a torn append
	f.Close()

	l, err = OpenLedger(dir, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	q := newQueue()
	ctx, cancel := context.WithCancel(context.Background())
	wait := l.Feed(ctx, st, q)
	q.waitFor(t, []string{b.ID, c.ID})
	if err := l.Done(b.ID); err != nil {
		t.Fatal(err)
	}
	cancel()
	wait()
	l.Close()

	l, err = OpenLedger(dir, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if !l.done[a.ID] || !l.done[b.ID] || l.done[c.ID] || len(l.done) != 3 { // a, b and the torn prefix
		t.Errorf("done after the torn line: %v", l.done)
	}
}

// TestFeedAfterOff: messages stored while the appliance ran with
// forwarding off are not mailed when it is turned on again.
func TestFeedAfterOff(t *testing.T) {
	st := openStore(t)
	dir := t.TempDir()
	l, err := OpenLedger(dir, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	put(t, st, picture(), anna) // while off
	if err := Off(dir, st); err != nil {
		t.Fatal(err)
	}
	if err := Off(filepath.Join(t.TempDir(), "never"), st); err != nil {
		t.Fatal(err)
	}
	l, err = OpenLedger(dir, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	q := newQueue()
	ctx, cancel := context.WithCancel(context.Background())
	wait := l.Feed(ctx, st, q)
	m := put(t, st, picture(), anna)
	q.waitFor(t, []string{m.ID})
	cancel()
	wait()
}
