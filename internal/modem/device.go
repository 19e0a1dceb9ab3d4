package modem

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/homemmsc/homemmsc/internal/modem/at"
	"github.com/homemmsc/homemmsc/internal/modem/sms"
)

// DeviceConfig configures a Device. Open is required.
type DeviceConfig struct {
	Path string // device path (best a /dev/serial/by-id/ link), or "auto"
	// Open opens a port; cmd/appliance passes serialport.Open.
	Open func(path string) (io.ReadWriteCloser, error)
	// Candidates lists the ports "auto" probes, best first; cmd/appliance
	// passes serialport.Candidates.
	Candidates func() []string
	Session    Config
	MinBackoff time.Duration // first pause before reopening; if zero, 1 s
	MaxBackoff time.Duration // longest pause; if zero, 1 min
	Health     time.Duration // how often an idle modem is checked; if zero, 1 min
	Logger     *slog.Logger  // if nil, logs are discarded
}

// Device keeps a modem session open: it opens the port, runs the start-up,
// watches the session, and reopens with back-off when the port vanishes
// (EOF, ENODEV), or stops answering. One send is in flight at a time.
type Device struct {
	cfg DeviceConfig
	log *slog.Logger

	sendMu   sync.Mutex // one AT+CMGS at a time
	timeouts int        // consecutive send timeouts, under sendMu

	mu      sync.Mutex
	sess    *Session
	port    io.Closer
	path    string
	lastErr error
	errAt   time.Time
	ready   chan struct{} // closed when a session starts
}

// NewDevice returns a device; Run drives it.
func NewDevice(cfg DeviceConfig) *Device {
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = time.Minute
	}
	if cfg.Health <= 0 {
		cfg.Health = time.Minute
	}
	if cfg.Session.Now == nil {
		cfg.Session.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg.Session.Logger = log
	return &Device{cfg: cfg, log: log, ready: make(chan struct{})}
}

// Run opens and watches the modem until ctx is done. A SIM that refuses
// the PIN, or wants a PUK, stops the attempts: they would lock it.
func (d *Device) Run(ctx context.Context) {
	backoff := d.cfg.MinBackoff
	lastMsg := ""
	for ctx.Err() == nil {
		s, port, path, err := d.connect(ctx)
		if err != nil {
			d.fail(err)
			if errors.Is(err, ErrPINRejected) || errors.Is(err, ErrPUKRequired) || errors.Is(err, ErrPINRequired) {
				d.log.Error("modem: SIM needs attention; not trying again until restart", "err", err)
				<-ctx.Done()
				return
			}
			level := slog.LevelInfo // say it once, then quietly while nothing changes
			if err.Error() == lastMsg {
				level = slog.LevelDebug
			}
			lastMsg = err.Error()
			d.log.Log(ctx, level, "modem: not available", "err", err, "retry_in", backoff)
			if sleep(ctx, backoff) != nil {
				return
			}
			backoff = min(2*backoff, d.cfg.MaxBackoff)
			continue
		}
		backoff, lastMsg = d.cfg.MinBackoff, ""
		d.attach(s, port, path)
		err = d.watch(ctx, s)
		d.detach(s, port)
		if ctx.Err() == nil {
			d.fail(err)
			d.log.Warn("modem: lost, reopening", "path", path, "err", err, "in", backoff)
			// A re-plugged modem needs a moment to enumerate again.
			_ = sleep(ctx, backoff)
		}
	}
}

// connect opens the configured port, or probes the candidates for "auto".
func (d *Device) connect(ctx context.Context) (*Session, io.Closer, string, error) {
	paths := []string{d.cfg.Path}
	if d.cfg.Path == "auto" {
		if d.cfg.Candidates == nil {
			return nil, nil, "", fmt.Errorf("%w: no way to list ports", ErrAbsent)
		}
		paths = d.cfg.Candidates()
	}
	err := fmt.Errorf("%w: no serial port found", ErrAbsent)
	for _, p := range paths {
		var s *Session
		var port io.ReadWriteCloser
		if s, port, err = d.open(ctx, p); err == nil {
			return s, port, p, nil
		}
		if errors.Is(err, ErrPINRejected) || errors.Is(err, ErrPUKRequired) {
			break
		}
	}
	return nil, nil, "", err
}

func (d *Device) open(ctx context.Context, path string) (*Session, io.ReadWriteCloser, error) {
	port, err := d.cfg.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %w", ErrAbsent, path, err)
	}
	s, err := Start(ctx, port, d.cfg.Session)
	if err != nil {
		port.Close()
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	d.log.Info("modem: ready", "path", path, "status", fmt.Sprintf("%+v", s.Status()))
	return s, port, nil
}

// watch waits until the session ends, checking an idle modem now and then.
func (d *Device) watch(ctx context.Context, s *Session) error {
	t := time.NewTicker(d.cfg.Health)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.Done():
			return s.Err()
		case <-t.C:
			if err := d.check(ctx, s); err != nil {
				return err
			}
		}
	}
}

// check pings an idle modem and refreshes its registration; a modem that
// does not answer twice is reopened.
func (d *Device) check(ctx context.Context, s *Session) error {
	d.sendMu.Lock()
	defer d.sendMu.Unlock()
	for range 2 {
		_, err := s.at.Command(ctx, "")
		if err == nil {
			s.Refresh(ctx)
			return nil
		}
		if !errors.Is(err, at.ErrTimeout) {
			return err
		}
	}
	return fmt.Errorf("%w: %w", ErrNotResponding, at.ErrTimeout)
}

func (d *Device) attach(s *Session, port io.Closer, path string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.sess, d.port, d.path = s, port, path
	close(d.ready)
	d.ready = make(chan struct{})
}

func (d *Device) detach(s *Session, port io.Closer) {
	d.mu.Lock()
	d.sess, d.port = nil, nil
	d.mu.Unlock()
	s.Close()
	if err := port.Close(); err != nil {
		d.log.Debug("modem: closing a dead port failed", "err", err)
	}
}

// kick closes the port of a session that stopped answering, so that Run
// reopens it.
func (d *Device) kick(s *Session) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.sess == s && d.port != nil {
		d.port.Close()
	}
	s.Close()
}

func (d *Device) fail(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.lastErr, d.errAt = err, d.cfg.Session.Now()
}

// Ready returns a channel that is closed when the next session starts.
func (d *Device) Ready() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ready
}

// Send sends one PDU through the current session. Without one the error
// is ErrAbsent (temporary). Two timeouts in a row make the device reopen
// the port.
func (d *Device) Send(ctx context.Context, p sms.PDU) (int, error) {
	d.sendMu.Lock()
	defer d.sendMu.Unlock()
	d.mu.Lock()
	s, lastErr := d.sess, d.lastErr
	d.mu.Unlock()
	if s == nil {
		if lastErr != nil {
			return 0, fmt.Errorf("%w (%v)", ErrAbsent, lastErr)
		}
		return 0, ErrAbsent
	}
	mr, err := s.SendPDU(ctx, p)
	if errors.Is(err, at.ErrTimeout) || errors.Is(err, at.ErrPrompt) {
		if d.timeouts++; d.timeouts >= 2 {
			d.log.Warn("modem: sends time out; reopening the port")
			d.timeouts = 0
			d.kick(s)
		}
	} else {
		d.timeouts = 0
	}
	if err != nil {
		d.fail(err)
	}
	return mr, err
}

// Status reports the modem for the display and the logs.
func (d *Device) Status() Status {
	d.mu.Lock()
	s, path, lastErr, errAt := d.sess, d.path, d.lastErr, d.errAt
	d.mu.Unlock()
	var st Status
	if s != nil {
		st = s.Status()
		st.Device = path
	} else {
		st.Signal = -1
		st.Reg = "no modem"
	}
	if lastErr != nil && errAt.After(st.ErrorAt) {
		st.LastError, st.ErrorAt = lastErr.Error(), errAt
	}
	return st
}
