package main

import (
	"context"
	"flag"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/homemmsc/homemmsc/internal/flagvalue"
	"github.com/homemmsc/homemmsc/internal/mm3"
	"github.com/homemmsc/homemmsc/internal/outbox"
	"github.com/homemmsc/homemmsc/internal/store"
)

// mailOptions are the flags of e-mail forwarding (internal/mm3).
type mailOptions struct {
	set    mm3.Settings
	expiry time.Duration
	cfg    mm3.Config // from load
	on     bool
}

func (m *mailOptions) register(fs *flag.FlagSet) {
	m.set.TLS, m.expiry = "starttls", mm3.DefaultExpiry
	fs.StringVar(&m.set.Server, "mail-server", "", "SMTP submission server to forward every message to by e-mail: host or host:port (empty = off)")
	fs.Var(flagvalue.Enum{P: &m.set.TLS, Words: []string{"starttls", "tls"}}, "mail-tls", "starttls (port 587 unless given) or tls (implicit TLS, port 465)")
	fs.StringVar(&m.set.User, "mail-user", "", "SMTP AUTH user (empty = no AUTH)")
	fs.StringVar(&m.set.PasswordFile, "mail-password-file", "", "file holding the SMTP password (mode 0600)")
	fs.StringVar(&m.set.From, "mail-from", "", "From address of the forwarded e-mails, e.g. homemmsc@example.org")
	fs.StringVar(&m.set.To, "mail-to", "", "who gets the e-mails: addresses, comma-separated")
	fs.Var(flagvalue.Days{P: &m.expiry}, "mail-expiry", "how long an e-mail is retried before it is given up, e.g. 7d, 36h")
}

// load checks the flags and reads the password file: a malformed value
// stops the start.
func (m *mailOptions) load() (err error) {
	m.cfg, m.on, err = m.set.Config()
	return err
}

// startMail forwards the messages stored from now on by e-mail through
// box, with -mail-server; it returns the status page's line (nil: off)
// and stop, which ends the forwarding's feed.
func startMail(ctx context.Context, o mailOptions, dataDir string, st *store.Store, box *outbox.Outbox, log *slog.Logger) (func() (string, bool), func()) {
	if !o.on {
		if err := mm3.Off(filepath.Join(dataDir, "mail"), st); err != nil {
			log.Warn("e-mail forwarding: cannot mark it off", "err", err)
		}
		return nil, func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	status, wait, err := mm3.Start(ctx, o.cfg, filepath.Join(dataDir, "mail"), st, box, o.expiry, log)
	if err != nil {
		cancel()
		log.Error("e-mail forwarding off", "err", err)
		return func() (string, bool) { return "off: " + err.Error(), true }, func() {}
	}
	return status, func() { cancel(); wait() }
}
