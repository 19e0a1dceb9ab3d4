package mm3

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/homemmsc/homemmsc/internal/outbox"
	"github.com/homemmsc/homemmsc/internal/store"
)

// Settings are e-mail forwarding's settings as the appliance's -mail-*
// flags give them.
type Settings struct {
	Server       string // host or host:port; empty = off
	TLS          string // "starttls" (or empty) or "tls"
	User         string // empty = no AUTH
	PasswordFile string // the password, on the first line
	From         string
	To           string // comma-separated
}

// maxPasswordFile bounds what Config reads of the password file.
const maxPasswordFile = 4 << 10

// Config turns s into a Sender's Config, reading the password file; false
// when forwarding is off (no Server). A malformed value is an error; a
// missing From or To is New's to report.
func (s Settings) Config() (Config, bool, error) {
	if s.Server == "" {
		return Config{}, false, nil
	}
	c := Config{Host: s.Server, User: s.User, From: strings.TrimSpace(s.From)}
	switch s.TLS {
	case "", "starttls":
	case "tls":
		c.Security = ImplicitTLS
	default:
		return c, false, fmt.Errorf("-mail-tls %q: starttls or tls", s.TLS)
	}
	if host, port, err := net.SplitHostPort(s.Server); err == nil {
		p, err := strconv.Atoi(port)
		if err != nil || p < 1 || p > 65535 || host == "" {
			return c, false, fmt.Errorf("-mail-server %q: want host or host:port", s.Server)
		}
		c.Host, c.Port = host, p
	}
	for _, a := range strings.Split(s.To, ",") {
		if a = strings.TrimSpace(a); a != "" {
			c.To = append(c.To, a)
		}
	}
	if s.User == "" {
		return c, true, nil
	}
	if s.PasswordFile == "" {
		return c, false, errors.New("-mail-user needs -mail-password-file")
	}
	b, err := os.ReadFile(s.PasswordFile)
	if err != nil {
		return c, false, fmt.Errorf("-mail-password-file: %w", err)
	}
	if len(b) > maxPasswordFile {
		return c, false, fmt.Errorf("-mail-password-file %s: larger than %d bytes", s.PasswordFile, maxPasswordFile)
	}
	c.Password, _, _ = strings.Cut(string(b), "\n")
	c.Password = strings.TrimRight(c.Password, "\r")
	return c, true, nil
}

// Start runs e-mail forwarding on box until ctx is done: it opens the
// Ledger in dir, registers the Forwarder as the handler of Kind and feeds
// it the store's arrivals. It returns the status page's line and wait,
// which returns once the feed has stopped (and the ledger is closed).
func Start(ctx context.Context, cfg Config, dir string, st *store.Store, box *outbox.Outbox, expiry time.Duration, log *slog.Logger) (status func() (string, bool), wait func(), err error) {
	if box == nil {
		return nil, nil, errors.New("mm3: no outbox")
	}
	s, err := New(cfg)
	if err != nil {
		return nil, nil, err
	}
	led, err := OpenLedger(dir, st, log)
	if err != nil {
		return nil, nil, err
	}
	f := &Forwarder{Sender: s, Store: st, Ledger: led, Box: box, Expiry: expiry, Log: log}
	f.Register()
	feed := led.Feed(ctx, st, f)
	if log != nil {
		log.Info("mm3: e-mail forwarding on", "server", net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port)), "to", s.cfg.To)
	}
	return f.Status, func() { feed(); led.Close() }, nil
}
