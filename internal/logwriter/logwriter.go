package logwriter

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultMaxBytes bounds the queue when New is given no bound: about
// a thousand lines, a few seconds of a busy appliance's log.
const DefaultMaxBytes = 256 << 10

// closeWait is how long Close waits for the queue to drain into a sink
// that may be stalled.
const closeWait = 2 * time.Second

// Writer is an io.Writer whose Write never blocks on the sink. It is safe
// for concurrent use.
type Writer struct {
	sink io.Writer
	max  int

	mu      sync.Mutex
	queue   [][]byte
	size    int    // bytes in queue
	lost    uint64 // dropped since the last notice
	closed  bool
	wake    chan struct{} // a send wakes the writing goroutine
	done    chan struct{} // closed when it has returned
	dropped atomic.Uint64
}

// New starts a Writer to sink whose queue holds at most maxBytes (if
// zero or less, DefaultMaxBytes). Close it to flush and stop it.
func New(sink io.Writer, maxBytes int) *Writer {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	w := &Writer{sink: sink, max: maxBytes, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go w.run()
	return w
}

// Write queues a copy of p, or drops it when the queue is full or the
// Writer is closed. It always reports success: a caller that logs has
// nothing better to do with an error.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	if w.closed || w.size+len(p) > w.max {
		w.lost++
		w.mu.Unlock()
		w.dropped.Add(1)
		return len(p), nil
	}
	w.queue = append(w.queue, append([]byte(nil), p...))
	w.size += len(p)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default: // already woken
	}
	return len(p), nil
}

// Dropped is how many writes were dropped since New.
func (w *Writer) Dropped() uint64 { return w.dropped.Load() }

// Close stops taking lines and waits, up to 2 s, for the queued ones to
// reach the sink.
func (w *Writer) Close() error {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
	select {
	case <-w.done:
	case <-time.After(closeWait):
	}
	return nil
}

// run writes the queue to the sink until the Writer is closed and the
// queue is empty.
func (w *Writer) run() {
	defer close(w.done)
	for range w.wake {
		for {
			batch, lost, closed := w.take()
			if lost > 0 {
				fmt.Fprintf(w.sink, "logwriter: %d log lines dropped: the log sink did not keep up\n", lost)
			}
			for _, line := range batch {
				w.sink.Write(line) //nolint:errcheck // nowhere to report it
			}
			if len(batch) == 0 && lost == 0 {
				if closed {
					return
				}
				break
			}
		}
	}
}

// take empties the queue and the count of lines lost.
func (w *Writer) take() (batch [][]byte, lost uint64, closed bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	batch, w.queue, w.size = w.queue, nil, 0
	lost, w.lost = w.lost, 0
	return batch, lost, w.closed
}
