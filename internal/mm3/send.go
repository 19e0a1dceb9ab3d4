package mm3

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/smtp"
	"net/textproto"
	"strconv"
	"time"

	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/store"
)

// Security is how the connection to the submission server is protected.
type Security int

// Security modes. There is no plain mode: the password and the messages
// never cross the network unencrypted.
const (
	StartTLS    Security = iota // port 587: plain connect, then STARTTLS (RFC 3207), required
	ImplicitTLS                 // port 465: TLS from the first byte (RFC 8314)
)

// Config is the SMTP submission server and the e-mail's addresses.
type Config struct {
	Host     string   // the submission server, e.g. "smtp.example.org"; required
	Port     int      // if zero, 587 for StartTLS, 465 for ImplicitTLS
	Security Security // StartTLS unless set
	User     string   // AUTH PLAIN user; empty = no AUTH
	Password string   // read by the caller from a file, never a flag
	From     string   // envelope sender and header From address; required
	To       []string // at least one recipient
	// RootCAs verifies the server's certificate; if nil, the system's
	// roots. Tests pass their own CA.
	RootCAs *x509.CertPool
	Timeout time.Duration // for one whole message; if zero, 60 s (the outbox waits for it)
	Hello   string        // the EHLO name; if empty, "homemmsc"
}

// Sender sends e-mails to one configured server. It holds no connection
// between messages: a home appliance forwards a few a day.
type Sender struct{ cfg Config }

// ErrConfig wraps what is wrong with a Config.
var ErrConfig = errors.New("mm3: incomplete e-mail configuration")

// New checks cfg and returns a Sender.
func New(cfg Config) (*Sender, error) {
	switch {
	case cfg.Host == "":
		return nil, fmt.Errorf("%w: no server", ErrConfig)
	case cfg.From == "":
		return nil, fmt.Errorf("%w: no From address", ErrConfig)
	case len(cfg.To) == 0:
		return nil, fmt.Errorf("%w: no To address", ErrConfig)
	}
	if cfg.Port == 0 {
		cfg.Port = map[Security]int{StartTLS: 587, ImplicitTLS: 465}[cfg.Security]
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = time.Minute
	}
	if cfg.Hello == "" {
		cfg.Hello = "homemmsc"
	}
	return &Sender{cfg: cfg}, nil
}

// Error is the server's refusal at one step of the SMTP dialogue.
type Error struct {
	Step string // "connect", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA", ...
	Code int    // the reply code; 0 when the connection failed
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("mm3: %s refused: %d %s", e.Step, e.Code, e.Msg)
	}
	return fmt.Sprintf("mm3: %s: %v", e.Step, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether sending the same message again later may
// succeed: the server could not be reached or answered 4xx (try later),
// or refused the login (535, 530, 534: the owner must fix the password,
// and the message should wait for that, not be dropped). A 5xx to the
// message itself (MAIL, RCPT, DATA) is permanent.
func Temporary(err error) bool {
	if errors.Is(err, ErrGone) || errors.Is(err, ErrUnreadable) {
		return false
	}
	var e *Error
	if !errors.As(err, &e) {
		return true
	}
	return e.Code == 0 || e.Code/100 == 4 || e.Step == "AUTH"
}

// AuthRefused reports whether err is the server refusing the login.
func AuthRefused(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Step == "AUTH" && e.Code/100 == 5
}

// Send delivers stored message m (msg its decoded PDU) as one e-mail to
// every configured recipient, or to none: a refused recipient fails the
// message before its data is sent, so a retry cannot duplicate it.
func (s *Sender) Send(ctx context.Context, m store.Meta, msg *mms.Message) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	c, err := s.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := s.login(c); err != nil {
		return err
	}
	if err := step("MAIL", c.Mail(s.cfg.From)); err != nil {
		return err
	}
	for _, to := range s.cfg.To {
		if err := step("RCPT", c.Rcpt(to)); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err := step("DATA", err); err != nil {
		return err
	}
	if err := Compose(w, Mail{From: s.cfg.From, To: s.cfg.To}, m, msg); err != nil {
		return step("DATA", err)
	}
	if err := step("DATA", w.Close()); err != nil {
		return err
	}
	c.Quit() // the message is accepted; a lost QUIT reply changes nothing
	return nil
}

// dial connects, with TLS from the start for ImplicitTLS, and reads the
// greeting. The whole dialogue shares ctx's deadline.
func (s *Sender) dial(ctx context.Context) (*smtp.Client, error) {
	addr := net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, &Error{Step: "connect", Err: err}
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	if s.cfg.Security == ImplicitTLS {
		tc := tls.Client(conn, s.tlsConfig())
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, &Error{Step: "TLS", Err: err}
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, s.cfg.Host)
	if err != nil {
		conn.Close()
		return nil, step("greeting", err)
	}
	return c, nil
}

// login says EHLO, starts TLS when it is not on yet (refusing a server
// that does not offer it), and authenticates.
func (s *Sender) login(c *smtp.Client) error {
	if err := step("EHLO", c.Hello(s.cfg.Hello)); err != nil {
		return err
	}
	if s.cfg.Security == StartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return &Error{Step: "STARTTLS", Err: errors.New("the server does not offer STARTTLS; not sending in the clear")}
		}
		if err := step("STARTTLS", c.StartTLS(s.tlsConfig())); err != nil {
			return err
		}
	}
	if s.cfg.User == "" {
		return nil
	}
	return step("AUTH", c.Auth(smtp.PlainAuth("", s.cfg.User, s.cfg.Password, s.cfg.Host)))
}

func (s *Sender) tlsConfig() *tls.Config {
	return &tls.Config{ServerName: s.cfg.Host, RootCAs: s.cfg.RootCAs, MinVersion: tls.VersionTLS12}
}

// step names the SMTP step an error happened at, with the server's
// reply code when it was a refusal.
func step(name string, err error) error {
	if err == nil {
		return nil
	}
	var tp *textproto.Error
	if errors.As(err, &tp) {
		return &Error{Step: name, Code: tp.Code, Msg: tp.Msg, Err: err}
	}
	return &Error{Step: name, Err: err}
}

// Store is what Forward reads; *store.Store is one.
type Store interface {
	Get(id string) (store.Meta, bool)
	OpenPDU(id string) (*store.PDU, error)
}

// Errors of Forward that no retry can mend.
var (
	ErrGone       = errors.New("mm3: message no longer stored")
	ErrUnreadable = errors.New("mm3: stored message does not decode")
)

// Forward sends stored message id: what the outbox calls.
func (s *Sender) Forward(ctx context.Context, st Store, id string) error {
	m, ok := st.Get(id)
	if !ok {
		return ErrGone
	}
	f, err := st.OpenPDU(id)
	if errors.Is(err, store.ErrNotFound) {
		return ErrGone
	}
	if err != nil {
		return err
	}
	defer f.Close()
	pdu, err := io.ReadAll(io.LimitReader(f, store.MaxPDUSize+1))
	if err != nil {
		return err
	}
	msg, err := mms.Decode(pdu)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrUnreadable, id, err)
	}
	return s.Send(ctx, m, msg)
}
