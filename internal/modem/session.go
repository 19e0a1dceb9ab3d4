package modem

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/homemmsc/homemmsc/internal/modem/at"
	"github.com/homemmsc/homemmsc/internal/modem/sms"
)

// Config configures a session. The zero value works with a SIM without PIN.
type Config struct {
	PIN         string           // SIM PIN, entered once when the SIM asks for it
	Timeout     time.Duration    // plain AT commands; if zero, 5 s
	SMSTimeout  time.Duration    // AT+CMGS result; if zero, 2 min
	SIMBusyWait time.Duration    // how long to wait out +CME ERROR: 14; if zero, 60 s
	ATRetries   int              // "AT" attempts at start; if zero, 3
	Logger      *slog.Logger     // if nil, logs are discarded
	Now         func() time.Time // if nil, time.Now
	Trace       func(dir byte, line string)
}

// Status is what the display and the logs show about the modem.
type Status struct {
	Present    bool
	Device     string
	Model      string
	Registered bool   // some registration state allows SMS
	Reg        string // why (not) registered: "home network", "searching" …
	Operator   string
	Signal     int // +CSQ rssi 0-31, -1 unknown
	SMSC       string
	LastError  string
	ErrorAt    time.Time
}

// Session is a started modem on one open port.
type Session struct {
	at  *at.AT
	cfg Config
	log *slog.Logger

	mu  sync.Mutex
	st  Status
	reg [3]RegStat // CREG, CGREG, CEREG
}

var regPrefixes = [3]string{"+CREG:", "+CGREG:", "+CEREG:"}

// Start runs the start-up sequence on rw: AT (with retries), ATE0,
// AT+CMEE=1, the PIN, PDU mode, the SMSC, registration and signal. It
// returns a session ready to send, or why not. Probes that only inform the
// status do not make it fail.
func Start(ctx context.Context, rw io.ReadWriter, cfg Config) (*Session, error) {
	if cfg.SIMBusyWait <= 0 {
		cfg.SIMBusyWait = time.Minute
	}
	if cfg.ATRetries <= 0 {
		cfg.ATRetries = 3
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Session{cfg: cfg, log: log, reg: [3]RegStat{RegNone, RegNone, RegNone}}
	s.st.Signal = -1
	s.at = at.New(rw, at.Config{Timeout: cfg.Timeout, SMSTimeout: cfg.SMSTimeout, Logger: log, Trace: cfg.Trace})
	s.watch()
	if err := s.start(ctx); err != nil {
		s.at.Close()
		return nil, err
	}
	return s, nil
}

// watch registers the indications the session follows.
func (s *Session) watch() {
	for i, p := range regPrefixes {
		s.at.AddIndication(p, 0, func(l []string) { s.setReg(i, parseRegURC(l[0])) })
	}
	s.at.AddIndication("^RSSI:", 0, func(l []string) {
		if n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(l[0], "^RSSI:"))); err == nil {
			s.update(func(st *Status) { st.Signal = min(max(n, -1), 31) })
		}
	})
	for _, p := range []string{"^BOOT:", "^MODE:", "^SRVST:", "^SIMST:", "^DSFLOWRPT:", "^HCSQ:", "^SYSSTART", "+CMTI:", "RING", "+CIEV:"} {
		s.at.AddIndication(p, 0, func(l []string) { s.log.Debug("modem: indication", "line", l[0]) })
	}
	s.at.AddIndication("+CDS:", 1, func(l []string) { s.log.Debug("modem: status report", "lines", l) })
	s.at.AddIndication("+CMT:", 1, func(l []string) { s.log.Debug("modem: incoming SMS", "lines", l) })
}

func (s *Session) start(ctx context.Context) error {
	if err := s.ping(ctx); err != nil {
		return err
	}
	s.optional(ctx, "E0")
	s.optional(ctx, "+CMEE=1")
	if err := s.unlock(ctx); err != nil {
		return err
	}
	if _, err := s.busyRetry(ctx, "+CMGF=0"); err != nil {
		return fmt.Errorf("%w: %w", ErrNoPDUMode, err)
	}
	s.probe(ctx)
	return nil
}

// ping sends AT until the modem answers.
func (s *Session) ping(ctx context.Context) error {
	var err error
	for range s.cfg.ATRetries {
		if _, err = s.at.Command(ctx, ""); err == nil || Gone(err) || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNotResponding, err)
	}
	return nil
}

// optional runs a command whose failure only gets logged.
func (s *Session) optional(ctx context.Context, cmd string) []string {
	info, err := s.at.Command(ctx, cmd)
	if err != nil {
		s.log.Info("modem: optional command failed", "cmd", "AT"+cmd, "err", err)
	}
	return info
}

// unlock checks the SIM and enters the PIN once if it asks for one.
func (s *Session) unlock(ctx context.Context) error {
	state, err := s.cpin(ctx)
	if err != nil || state == "READY" {
		return err
	}
	switch {
	case state == "SIM PIN" && s.cfg.PIN == "":
		return ErrPINRequired
	case state == "SIM PIN":
		if _, err := s.at.Command(ctx, `+CPIN="`+s.cfg.PIN+`"`); err != nil {
			var cme *at.CMEError
			if errors.As(err, &cme) && cme.Code == 14 {
				return fmt.Errorf("%w: %w", ErrSIMBusy, err)
			}
			return fmt.Errorf("%w: %w", ErrPINRejected, err)
		}
		state, err = s.cpin(ctx) // the SIM is busy for a while after the PIN
		if err == nil && state != "READY" {
			err = fmt.Errorf("modem: SIM says %q after the PIN", state)
		}
		return err
	case strings.Contains(state, "PUK"):
		return ErrPUKRequired
	}
	return fmt.Errorf("modem: SIM says %q", state)
}

// cpin asks +CPIN? and waits while the SIM is busy.
func (s *Session) cpin(ctx context.Context) (string, error) {
	info, err := s.busyRetry(ctx, "+CPIN?")
	var cme *at.CMEError
	if errors.As(err, &cme) && cme.Code == 10 {
		return "", fmt.Errorf("%w: %w", ErrNoSIM, err)
	}
	if err != nil {
		return "", err
	}
	for _, l := range info {
		if v, ok := strings.CutPrefix(l, "+CPIN:"); ok {
			return strings.Trim(strings.TrimSpace(v), `"`), nil
		}
	}
	return "", fmt.Errorf("modem: no +CPIN: in reply %q", info)
}

// busyRetry runs cmd, repeating it while the SIM is busy (+CME ERROR: 14,
// +CMS ERROR: 314), with growing pauses, for at most SIMBusyWait.
func (s *Session) busyRetry(ctx context.Context, cmd string) ([]string, error) {
	pause, waited := 500*time.Millisecond, time.Duration(0)
	for {
		info, err := s.at.Command(ctx, cmd)
		if !simBusy(err) {
			return info, err
		}
		if waited >= s.cfg.SIMBusyWait {
			return nil, fmt.Errorf("%w: %w", ErrSIMBusy, err)
		}
		s.log.Debug("modem: SIM busy, waiting", "cmd", "AT"+cmd, "pause", pause)
		if err := sleep(ctx, pause); err != nil {
			return nil, err
		}
		waited += pause
		pause = min(2*pause, 5*time.Second)
	}
}

func simBusy(err error) bool {
	var cme *at.CMEError
	var cms *at.CMSError
	return errors.As(err, &cme) && cme.Code == 14 || errors.As(err, &cms) && cms.Code == 314
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// probe fills the status: model, SMSC, registration, signal, operator.
// None of it is fatal (warthog618/modem#18: +GCAP answered +CME ERROR: 58).
func (s *Session) probe(ctx context.Context) {
	model := strings.Join(s.optional(ctx, "+CGMM"), " ")
	smsc := parseCSCA(s.optional(ctx, "+CSCA?"))
	s.update(func(st *Status) { st.Model, st.SMSC = model, smsc })
	s.Refresh(ctx)
}

// Refresh queries registration (CREG, CGREG and CEREG together), signal and
// operator.
func (s *Session) Refresh(ctx context.Context) {
	for i, p := range regPrefixes {
		cmd := strings.TrimSuffix(p, ":") + "?"
		info, err := s.at.Command(ctx, cmd)
		if err != nil {
			s.log.Debug("modem: registration query failed", "cmd", "AT"+cmd, "err", err)
			continue
		}
		s.setReg(i, parseRegQuery(info, p))
	}
	sig := parseCSQ(s.optional(ctx, "+CSQ"))
	op := parseCOPS(s.optional(ctx, "+COPS?"))
	s.update(func(st *Status) { st.Signal, st.Operator = sig, op })
}

func (s *Session) setReg(i int, r RegStat) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reg[i] = r
	s.st.Registered, s.st.Reg = summarizeReg(s.reg)
}

// summarizeReg: registered when any of CREG, CGREG, CEREG allows SMS
// (LTE-only sticks say +CREG: 0,0 while +CEREG: 0,1).
func summarizeReg(reg [3]RegStat) (bool, string) {
	best := RegNone
	for _, r := range reg {
		if r.CanSMS() {
			return true, r.String()
		}
		if r > best {
			best = r
		}
	}
	return false, best.String()
}

func (s *Session) update(fn func(*Status)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(&s.st)
}

// Status returns the session's view of the modem.
func (s *Session) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	st.Present = s.at.Err() == nil
	return st
}

// Done is closed when the port went away or the session was closed.
func (s *Session) Done() <-chan struct{} { return s.at.Done() }

// Err says why the session ended.
func (s *Session) Err() error { return s.at.Err() }

// Close stops the session; the caller closes the port.
func (s *Session) Close() error { return s.at.Close() }

// SendPDU sends one SMS-SUBMIT with AT+CMGS and returns the message
// reference the modem gave it. Registration is checked first: without it
// the error is ErrNotRegistered, which is temporary.
func (s *Session) SendPDU(ctx context.Context, p sms.PDU) (int, error) {
	if st := s.Status(); !st.Registered {
		s.Refresh(ctx)
		if st = s.Status(); !st.Registered {
			return 0, fmt.Errorf("%w (%s)", ErrNotRegistered, st.Reg)
		}
	}
	info, err := s.at.SMSCommand(ctx, "+CMGS="+strconv.Itoa(p.TPDULen), p.Hex())
	if err != nil {
		s.update(func(st *Status) { st.LastError, st.ErrorAt = err.Error(), s.cfg.Now() })
		return 0, err
	}
	mr, ok := parseCMGS(info)
	if !ok {
		s.log.Warn("modem: no +CMGS: reference in reply", "info", info)
	}
	return mr, nil
}
