package logwriter

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
)

// stalled is a sink whose writes block until it is opened.
type stalled struct {
	open chan struct{}
	mu   sync.Mutex
	buf  bytes.Buffer
}

func (s *stalled) Write(p []byte) (int, error) {
	<-s.open
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *stalled) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// TestStalledSink: with the sink stalled, writes return at once; past
// the bound they are dropped and counted; once the sink moves, what was
// queued comes out in order after a line saying how many were lost.
func TestStalledSink(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := &stalled{open: make(chan struct{})}
		w := New(sink, 100)
		fmt.Fprintf(w, "line 0 first, taken by the writer and stuck in the sink\n")
		synctest.Wait() // the writer is blocked in the sink with line 0
		for i := 1; i <= 10; i++ {
			fmt.Fprintf(w, "line %d of 20 bytes\n", i) // returns at once
		}
		// 100 bytes hold five 20-byte lines; five were dropped.
		if got := w.Dropped(); got != 5 {
			t.Errorf("Dropped() = %d, want 5", got)
		}
		close(sink.open)
		synctest.Wait()
		fmt.Fprintf(w, "line after\n")
		w.Close()
		want := "line 0 first, taken by the writer and stuck in the sink\n" +
			"logwriter: 5 log lines dropped: the log sink did not keep up\n"
		for i := 1; i <= 5; i++ {
			want += fmt.Sprintf("line %d of 20 bytes\n", i)
		}
		want += "line after\n"
		if got := sink.String(); got != want {
			t.Errorf("sink got:\n%s\nwant:\n%s", got, want)
		}
	})
}

// TestCloseFlushes: Close writes what is queued, and drops what comes
// after it.
func TestCloseFlushes(t *testing.T) {
	var buf bytes.Buffer
	w := New(&buf, 0)
	for i := range 100 {
		fmt.Fprintf(w, "line %d\n", i)
	}
	w.Close()
	if n := strings.Count(buf.String(), "\n"); n != 100 {
		t.Errorf("%d lines written, want 100", n)
	}
	fmt.Fprintf(w, "after close\n")
	if w.Dropped() != 1 {
		t.Errorf("a write after Close was not dropped: Dropped() = %d", w.Dropped())
	}
}

// TestCloseStalled: Close gives up on a sink that does not move.
func TestCloseStalled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := &stalled{open: make(chan struct{})}
		w := New(sink, 0)
		fmt.Fprintf(w, "stuck\n")
		w.Close() // returns after closeWait, the sink still stalled
		close(sink.open)
	})
}
