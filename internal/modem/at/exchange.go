package at

import (
	"context"
	"errors"
	"strings"
	"time"
)

// stopError wraps the error that ends the engine (port gone, Close) so
// that run can tell it from a command's own failure.
type stopError struct{ err error }

func (e stopError) Error() string { return e.err.Error() }
func (e stopError) Unwrap() error { return e.err }

// exchange is one command in progress on the loop goroutine.
type exchange struct {
	a      *AT
	r      *request
	prefix string // reply prefix such as "+CREG:"
	sms    bool
	info   []string
}

// run performs r, replies to its caller and, when the command was given
// up, waits for the result the modem still owes. A non-nil return means
// the engine must stop.
func (a *AT) run(r *request) error {
	if err := r.ctx.Err(); err != nil {
		r.reply <- result{err: err}
		return nil
	}
	x := &exchange{a: a, r: r, prefix: replyPrefix(r.cmd), sms: r.pdu != ""}
	res, abort := x.perform()
	var stop stopError
	if errors.As(res.err, &stop) {
		r.reply <- result{info: x.info, err: stop.err}
		return stop.err
	}
	r.reply <- res
	if abort {
		return x.drain()
	}
	return nil
}

// perform writes the command (and the PDU) and reads to the final result.
// abort is true when the exchange was given up with the modem still owing
// a result.
func (x *exchange) perform() (res result, abort bool) {
	if err := x.a.write("AT" + x.r.cmd + "\r"); err != nil {
		return result{err: err}, false
	}
	if x.sms {
		done, err := x.waitPrompt()
		if done || err != nil {
			return x.fail(err, true)
		}
		if err := x.a.write(x.r.pdu + "\x1a"); err != nil {
			return result{err: err}, false
		}
		return x.waitFinal(x.a.cfg.SMSTimeout)
	}
	return x.waitFinal(x.a.cfg.Timeout)
}

// fail ends an exchange that got no final result: ESC for a pending SMS
// prompt or PDU, then the caller's error. A final result that came
// instead of the prompt is returned as is.
func (x *exchange) fail(err error, escape bool) (result, bool) {
	var stop stopError
	if err == nil || errors.As(err, &stop) {
		return result{info: x.info, err: err}, false
	}
	var final *finalError
	if errors.As(err, &final) {
		return result{info: x.info, err: final.err}, false
	}
	if escape {
		if werr := x.a.write("\x1b"); werr != nil {
			return result{err: werr}, false
		}
	}
	return result{info: x.info, err: err}, true
}

// finalError carries a final result code that arrived while waiting for
// the prompt.
type finalError struct{ err error }

func (e *finalError) Error() string { return "at: final result before prompt" }

// waitPrompt reads until the SMS prompt. done is true, with the result in
// err, when a final result came instead.
func (x *exchange) waitPrompt() (done bool, err error) {
	t := time.NewTimer(x.a.cfg.Timeout)
	defer t.Stop()
	for {
		ev, err := x.a.next(x.r.ctx, t.C)
		if errors.Is(err, ErrTimeout) {
			return false, ErrPrompt
		}
		if err != nil {
			return false, err
		}
		if ev.prompt {
			return false, nil
		}
		if x.skip(ev.line) {
			continue
		}
		if final, ferr := finalResult(ev.line, true); final {
			return true, &finalError{ferr}
		}
		x.info = append(x.info, ev.line)
	}
}

// waitFinal reads information lines until the final result code.
func (x *exchange) waitFinal(d time.Duration) (result, bool) {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		ev, err := x.a.next(x.r.ctx, t.C)
		if err != nil {
			return x.fail(err, x.sms)
		}
		if ev.prompt || x.skip(ev.line) || x.sms && isHex(ev.line) {
			continue
		}
		if final, ferr := finalResult(ev.line, x.sms); final {
			return result{info: x.info, err: ferr}, false
		}
		x.info = append(x.info, ev.line)
	}
}

// skip drops echo and hands indications to their handlers.
func (x *exchange) skip(line string) bool {
	if len(line) >= 2 && strings.EqualFold(line[:2], "AT") {
		return true // echo, possibly garbled or merged (ZTE: "ATE0+CPMS?")
	}
	return x.a.unsolicited(line, x.prefix)
}

// drain waits, for one command timeout, for the final result of a command
// that was given up, handing indications on. A non-nil return means the
// engine must stop.
func (x *exchange) drain() error {
	t := time.NewTimer(x.a.cfg.Timeout)
	defer t.Stop()
	for {
		ev, err := x.a.next(context.Background(), t.C)
		var stop stopError
		if errors.As(err, &stop) {
			return stop.err
		}
		if err != nil {
			x.a.log.Warn("at: no result after giving up a command", "cmd", "AT"+x.r.cmd)
			return nil
		}
		if ev.prompt || x.skip(ev.line) {
			continue
		}
		if final, _ := finalResult(ev.line, x.sms); final {
			return nil
		}
	}
}

// next returns the next event, or ErrTimeout when timeout fires, the
// context's error, or a stopError when the port or the engine went away.
func (a *AT) next(ctx context.Context, timeout <-chan time.Time) (event, error) {
	select {
	case ev, ok := <-a.events:
		if !ok {
			return event{}, stopError{orEOF(a.readErr)}
		}
		if ev.prompt {
			a.trace('<', ">")
		} else {
			a.trace('<', ev.line)
		}
		return ev, nil
	case <-timeout:
		return event{}, ErrTimeout
	case <-ctx.Done():
		return event{}, ctx.Err()
	case <-a.closing:
		return event{}, stopError{ErrClosed}
	}
}

// write sends s to the port; a failed write stops the engine.
func (a *AT) write(s string) error {
	a.trace('>', strings.TrimRight(s, "\r"))
	if _, err := a.rw.Write([]byte(s)); err != nil {
		return stopError{err}
	}
	return nil
}

// replyPrefix is the prefix of a command's information lines:
// "+CREG?" → "+CREG:".
func replyPrefix(cmd string) string {
	if cmd == "" || (cmd[0] != '+' && cmd[0] != '^') {
		return ""
	}
	i := 1
	for i < len(cmd) && isAlnum(cmd[i]) {
		i++
	}
	return cmd[:i] + ":"
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return s != ""
}
