package at

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Config configures an engine. The zero value works.
type Config struct {
	Timeout    time.Duration // reply to a plain command, and the SMS prompt; if zero, 5 s
	SMSTimeout time.Duration // final result after an SMS PDU; if zero, 2 min
	Logger     *slog.Logger  // if nil, logs are discarded
	// Trace, if set, sees every line written (dir '>') and read (dir '<').
	Trace func(dir byte, line string)
}

// AT is an engine on one port. Create it with New; it runs until Close or
// until the port fails.
type AT struct {
	rw     io.ReadWriter
	cfg    Config
	log    *slog.Logger
	reqs   chan *request
	events chan event

	closing   chan struct{}
	closeOnce sync.Once
	done      chan struct{}
	readErr   error // set by readLoop before it closes events
	err       error // set by loop before it closes done

	mu   sync.Mutex
	inds map[string]indication
	urc  *urcCollect // owned by loop
}

type indication struct {
	lines   int
	handler func([]string)
}

type urcCollect struct {
	ind   indication
	lines []string
}

type request struct {
	ctx   context.Context
	cmd   string // without "AT"
	pdu   string // hex PDU for SMS commands
	reply chan result
}

type result struct {
	info []string
	err  error
}

// New starts an engine on rw. The caller keeps owning rw: closing it is
// what ends the reader.
func New(rw io.ReadWriter, cfg Config) *AT {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.SMSTimeout <= 0 {
		cfg.SMSTimeout = 2 * time.Minute
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &AT{
		rw: rw, cfg: cfg, log: log,
		reqs:    make(chan *request),
		events:  make(chan event, 16),
		closing: make(chan struct{}),
		done:    make(chan struct{}),
		inds:    make(map[string]indication),
	}
	go a.readLoop()
	go a.loop()
	return a
}

// AddIndication routes unsolicited lines that start with prefix (such as
// "+CMTI:" or "^RSSI:") to handler, with the lines that follow when
// trailing > 0. The handler runs on the engine's goroutine: it must return
// quickly and must not issue commands.
func (a *AT) AddIndication(prefix string, trailing int, handler func(lines []string)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.inds[prefix] = indication{lines: trailing, handler: handler}
}

// Done is closed when the engine has stopped; Err then says why.
func (a *AT) Done() <-chan struct{} { return a.done }

// Err is why the engine stopped: the port's read error (io.EOF, ENODEV
// …) or ErrClosed. It is nil while the engine runs.
func (a *AT) Err() error {
	select {
	case <-a.done:
		return a.err
	default:
		return nil
	}
}

// Close stops the engine. It does not close the port; a reader blocked on
// the port returns when the port is closed.
func (a *AT) Close() error {
	a.closeOnce.Do(func() { close(a.closing) })
	<-a.done
	return nil
}

// Command sends "AT"+cmd and returns the information lines of the reply.
// The error is nil for OK, a *CMEError or *CMSError, ErrError, ErrTimeout,
// the context's error, or the engine's error once it stopped.
func (a *AT) Command(ctx context.Context, cmd string) ([]string, error) {
	return a.do(ctx, &request{cmd: cmd})
}

// SMSCommand sends "AT"+cmd (such as "+CMGS=23"), waits for the prompt,
// writes pdu (hex) and Ctrl-Z, and returns the reply's information lines
// (such as "+CMGS: 12").
func (a *AT) SMSCommand(ctx context.Context, cmd, pdu string) ([]string, error) {
	if strings.ContainsAny(pdu, "\r\n\x1a\x1b") {
		return nil, ErrBadCmd
	}
	return a.do(ctx, &request{cmd: cmd, pdu: pdu})
}

func (a *AT) do(ctx context.Context, r *request) ([]string, error) {
	if strings.ContainsFunc(r.cmd, func(c rune) bool { return c < ' ' || c == 0x7F }) {
		return nil, ErrBadCmd
	}
	r.ctx, r.reply = ctx, make(chan result, 1)
	select {
	case a.reqs <- r:
	case <-a.done:
		return nil, fmt.Errorf("AT%s: %w", r.cmd, a.err)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	res := <-r.reply
	if res.err != nil {
		return res.info, fmt.Errorf("AT%s: %w", r.cmd, res.err)
	}
	return res.info, nil
}

// loop is the goroutine that owns the port.
func (a *AT) loop() {
	defer close(a.done)
	for {
		select {
		case r := <-a.reqs:
			if err := a.run(r); err != nil {
				a.stop(err)
				return
			}
		case ev, ok := <-a.events:
			if !ok {
				a.stop(a.readErr)
				return
			}
			a.idle(ev)
		case <-a.closing:
			a.stop(ErrClosed)
			return
		}
	}
}

// stop records why the engine ended: the port's error, or ErrClosed.
func (a *AT) stop(cause error) {
	select {
	case <-a.closing:
		cause = ErrClosed
	default:
	}
	if cause == nil {
		cause = io.EOF
	}
	a.err = cause
	a.closeOnce.Do(func() { close(a.closing) })
}

// idle handles a line that arrives while no command is pending.
func (a *AT) idle(ev event) {
	if ev.prompt || a.unsolicited(ev.line, "") {
		return
	}
	a.log.Debug("at: unexpected line", "line", ev.line)
}

// unsolicited hands ev to an indication handler when it is one (or
// continues one). replyPrefix is the pending command's reply prefix: a line
// with it is the reply, not an indication.
func (a *AT) unsolicited(line, replyPrefix string) bool {
	if a.urc != nil {
		a.urc.lines = append(a.urc.lines, line)
		if len(a.urc.lines) > a.urc.ind.lines {
			u := a.urc
			a.urc = nil
			u.ind.handler(u.lines)
		}
		return true
	}
	if replyPrefix != "" && strings.HasPrefix(line, replyPrefix) {
		return false
	}
	a.mu.Lock()
	var ind indication
	found := false
	for p, i := range a.inds {
		if strings.HasPrefix(line, p) {
			ind, found = i, true
			break
		}
	}
	a.mu.Unlock()
	if !found {
		return false
	}
	if ind.lines == 0 {
		ind.handler([]string{line})
	} else {
		a.urc = &urcCollect{ind: ind, lines: []string{line}}
	}
	return true
}

func (a *AT) trace(dir byte, s string) {
	if a.cfg.Trace != nil {
		a.cfg.Trace(dir, s)
	}
}

func orEOF(err error) error {
	if err == nil {
		return io.EOF
	}
	return err
}
