// Package attest is a strict, scripted fake modem for testing code that
// drives an AT engine: a Playback of steps, each an expected write and the
// modem's reply, over io.Pipe.
//
// Every write must match the script byte for byte (the engine may split
// it into several Write calls); a mismatch fails the Write and is reported
// by Close. Close also fails while steps remain, so a test proves that the
// whole exchange took place.
package attest

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
)

// Step is one exchange. A step with an empty Write sends its Reply right
// after the previous step's reply (or at the start): an unsolicited line.
// A step with an empty Reply is a modem that does not answer.
type Step struct {
	Write string
	Reply string
}

// ErrMismatch reports a write the script did not expect.
var ErrMismatch = errors.New("attest: unexpected write")

// Playback is the fake. Use it as the engine's io.ReadWriter.
type Playback struct {
	pr *io.PipeReader
	pw *io.PipeWriter

	mu      sync.Mutex
	steps   []Step
	written strings.Builder
	err     error
	replies chan string
	closed  bool
}

// New returns a Playback that runs steps in order.
func New(steps ...Step) *Playback {
	pr, pw := io.Pipe()
	p := &Playback{pr: pr, pw: pw, steps: steps, replies: make(chan string, len(steps)+1)}
	go p.feed()
	p.mu.Lock()
	p.sendUnprompted()
	p.mu.Unlock()
	return p
}

// feed writes replies to the pipe in order, off the writer's goroutine so
// that a Write never waits for the reader.
func (p *Playback) feed() {
	for r := range p.replies {
		if _, err := p.pw.Write([]byte(r)); err != nil {
			return
		}
	}
	p.pw.Close()
}

// sendUnprompted queues the replies of leading steps without a write.
func (p *Playback) sendUnprompted() {
	for len(p.steps) > 0 && p.steps[0].Write == "" {
		if p.steps[0].Reply != "" {
			p.replies <- p.steps[0].Reply
		}
		p.steps = p.steps[1:]
	}
}

// Read returns the modem's replies.
func (p *Playback) Read(b []byte) (int, error) { return p.pr.Read(b) }

// Write checks b against the script and queues the replies it triggers.
func (p *Playback) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return 0, p.err
	}
	if p.closed {
		return 0, io.ErrClosedPipe
	}
	p.written.Write(b)
	for {
		w := p.written.String()
		if len(p.steps) == 0 {
			return p.mismatch(w, "")
		}
		want := p.steps[0].Write
		if !strings.HasPrefix(want, w) && !strings.HasPrefix(w, want) {
			return p.mismatch(w, want)
		}
		if len(w) < len(want) {
			return len(b), nil
		}
		p.written.Reset()
		p.written.WriteString(w[len(want):])
		if p.steps[0].Reply != "" {
			p.replies <- p.steps[0].Reply
		}
		p.steps = p.steps[1:]
		p.sendUnprompted()
		if p.written.Len() == 0 {
			return len(b), nil
		}
	}
}

func (p *Playback) mismatch(got, want string) (int, error) {
	p.err = fmt.Errorf("%w: %q, script expects %q", ErrMismatch, got, want)
	return 0, p.err
}

// Unplug makes the port vanish: reads return io.EOF after the replies
// already sent, and writes fail.
func (p *Playback) Unplug() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed {
		p.closed = true
		close(p.replies)
	}
}

// Close ends the playback. It fails when a write did not match or steps
// remain.
func (p *Playback) Close() error {
	p.Unplug()
	p.pr.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	if len(p.steps) > 0 {
		return fmt.Errorf("attest: %d steps not played, next expects %q", len(p.steps), p.steps[0].Write)
	}
	return nil
}
