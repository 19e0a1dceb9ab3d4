package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
)

// drain reads every event the subscription has now.
func drain(sub *Subscription) []Event {
	var evs []Event
	for ev, ok := sub.Next(); ok; ev, ok = sub.Next() {
		evs = append(evs, ev)
	}
	return evs
}

func TestSubscribeEvents(t *testing.T) {
	s := openStore(t, testConfig(t))
	sub := s.Subscribe("test", 0)
	if got := s.Subscribers(); !slices.Equal(got, []string{"test"}) {
		t.Errorf("Subscribers = %q", got)
	}
	a, _ := s.Put(message("a", 10))
	b, _ := s.Put(message("b", 10))
	must(t, s.SetSeen(a.ID, true))
	must(t, s.MarkAllSeen())
	must(t, s.Delete(a.ID))
	var got []string
	for _, ev := range drain(sub) {
		_, found := s.Get(ev.Meta.ID)
		got = append(got, fmt.Sprintf("%v %s seen=%v found=%v", ev.Kind, ev.Meta.TransactionID, ev.Meta.Seen, found))
	}
	sub.Close()
	must(t, s.Delete(b.ID))
	if _, ok := sub.Next(); ok || len(s.Subscribers()) != 0 {
		t.Error("an event after Close, or the subscription still listed")
	}
	want := []string{
		"stored Ta seen=false found=false",
		"stored Tb seen=false found=true",
		"changed Ta seen=true found=false",
		"changed Tb seen=true found=true",
		"deleted Ta seen=true found=false",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A consumer that reads nothing while 100 messages arrive through a
// queue of 4: every Put returns, and the consumer then gets all 100
// arrivals, oldest first, each once; the dropped seen-changes come back
// as one Resync.
func TestSubscriptionFullQueueLosesNoArrival(t *testing.T) {
	s := openStore(t, testConfig(t))
	sub := s.Subscribe("stuck", 4)
	var ids []string
	for i := range 100 {
		m, err := s.Put(message(fmt.Sprint(i), 10))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	must(t, s.MarkAllSeen())
	must(t, s.Delete(ids[50])) // deleted before it was read back: not delivered
	if d := sub.Dropped(); d < 96 {
		t.Errorf("Dropped = %d, want at least 96 of the 100 arrivals and the changes", d)
	}
	var got []string
	var resyncs int
	for _, ev := range drain(sub) {
		switch ev.Kind {
		case Stored:
			got = append(got, ev.Meta.ID)
		case Resync:
			resyncs++
		}
	}
	want := slices.Delete(slices.Clone(ids), 50, 51)
	if !slices.Equal(got, want) {
		t.Errorf("arrivals read: %d, want the %d stored, in order\n got %q\nwant %q", len(got), len(want), got, want)
	}
	if resyncs != 1 {
		t.Errorf("%d Resync events, want 1", resyncs)
	}
}

// A consumer blocked inside its handler does not hold up Put, and once
// it is released it handles every arrival.
func TestSubscriptionBlockedConsumerDoesNotBlockPut(t *testing.T) {
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		s, err := Open(Config{Dir: dir, MinFree: -1})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		sub := s.Subscribe("blocked", 2, Stored)
		release := make(chan struct{})
		var mu sync.Mutex
		var handled []string
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			sub.Run(ctx, func(ev Event) {
				<-release
				mu.Lock()
				handled = append(handled, ev.Meta.ID)
				mu.Unlock()
			})
		}()
		var ids []string
		for i := range 20 { // a deadlock here fails the bubble
			m, err := s.Put(message(fmt.Sprint(i), 10))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, m.ID)
		}
		close(release)
		synctest.Wait()
		cancel()
		<-done
		mu.Lock()
		defer mu.Unlock()
		if !slices.Equal(handled, ids) {
			t.Errorf("handled %q, want %q", handled, ids)
		}
	})
}

func TestAddRange(t *testing.T) {
	var rs []seqRange
	for _, seq := range []uint64{5, 7, 6, 1, 2, 10, 9, 3} {
		rs = addSeq(rs, seq)
	}
	if want := []seqRange{{1, 3}, {5, 7}, {9, 10}}; !slices.Equal(rs, want) {
		t.Errorf("ranges %v, want %v", rs, want)
	}
	if rs = addRange(rs, seqRange{2, 9}); !slices.Equal(rs, []seqRange{{1, 10}}) {
		t.Errorf("after adding 2..9: %v", rs)
	}
	if rs = addSeq(rs, 4); !slices.Equal(rs, []seqRange{{1, 10}}) {
		t.Errorf("after adding 4 again: %v", rs)
	}
}

// TestSubscriptionOrderAfterDrop: an arrival that comes once the queue
// has room again, while older arrivals are still waiting to be read back
// from the store, is handed over after them, not before. (A consumer
// that took one event from a full queue and then fell behind saw
// 0, 1, 4, 2, 3.)
func TestSubscriptionOrderAfterDrop(t *testing.T) {
	s := openStore(t, Config{Dir: t.TempDir(), MinFree: -1})
	sub := s.Subscribe("slow", 2, Stored)
	defer sub.Close()
	var ids, got []string
	put := func() {
		m, err := s.Put(message(fmt.Sprint(len(ids)), 10))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	next := func() {
		ev, ok := sub.Next()
		if !ok {
			t.Fatalf("no event after %q", got)
		}
		got = append(got, ev.Meta.ID)
	}
	for range 4 { // 0 and 1 queued, 2 and 3 dropped
		put()
	}
	next()
	put() // room in the queue again, but 2 and 3 are older
	for range 4 {
		next()
	}
	if ev, ok := sub.Next(); ok {
		t.Errorf("extra event %+v", ev)
	}
	if !slices.Equal(got, ids) {
		t.Errorf("handed over %q, want %q", got, ids)
	}
}
