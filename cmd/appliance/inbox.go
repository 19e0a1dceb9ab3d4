package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/homemmsc/homemmsc/internal/inbox"
	"github.com/homemmsc/homemmsc/internal/phones"
	"github.com/homemmsc/homemmsc/internal/store"
)

// inboxOptions are the owner's inbox's flags.
type inboxOptions struct {
	passwordFile string
}

func (i *inboxOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&i.passwordFile, "inbox-password-file", "",
		"file holding the inbox password, or better its hash (pbkdf2-sha256$...); empty = chosen on the first visit from the LAN")
}

// maxPasswordFile bounds what -inbox-password-file reads.
const maxPasswordFile = 4 << 10

// passwordHash reads -inbox-password-file: a hash is used as it is, a
// password is hashed (in memory only: the file is the owner's).
func (i inboxOptions) passwordHash(log *slog.Logger) (string, error) {
	if i.passwordFile == "" {
		return "", nil
	}
	f, err := os.Open(i.passwordFile)
	if err != nil {
		return "", fmt.Errorf("-inbox-password-file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPasswordFile+1))
	if err != nil {
		return "", fmt.Errorf("-inbox-password-file: %w", err)
	}
	if len(b) > maxPasswordFile {
		return "", fmt.Errorf("-inbox-password-file %s: larger than %d bytes", i.passwordFile, maxPasswordFile)
	}
	s := strings.TrimRight(string(b), "\r\n")
	if strings.HasPrefix(s, "pbkdf2-sha256$") {
		return s, nil
	}
	if len(s) < inbox.MinPasswordLen {
		return "", fmt.Errorf("-inbox-password-file %s: a password of at least %d characters, or a hash", i.passwordFile, inbox.MinPasswordLen)
	}
	log.Info("inbox: hashing the password from -inbox-password-file; put the hash in the file instead to start faster and keep no password on the card")
	return inbox.HashPassword(s, 0)
}

// inboxDeps are the appliance's parts the inbox shows.
type inboxDeps struct {
	store     *store.Store
	phones    *phones.Registry
	listen    string // the MMSC listener's address, for phones' URLs
	publicURL string // how phones reach the MMSC from outside; "" = unknown
	status    func() []inbox.StatusItem
	// selfTest runs the phones page's reachability test; nil when delivery
	// is off, and selfTestOff says why.
	selfTest    func(context.Context, phones.Phone) (inbox.ReachResult, error)
	selfTestOff string
}

// startInbox builds the inbox for the LAN listener and gives it to a;
// without a LAN listener there is no inbox. stop releases it.
func startInbox(o options, lan net.Listener, d inboxDeps, a *appliance, log *slog.Logger) (stop func(), err error) {
	if lan == nil {
		log.Info("inbox off: it is served on the LAN listener only (-lan)")
		return func() {}, nil
	}
	h, err := newInbox(o.inboxOpts, o.data, d, log)
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	a.inbox = h
	log.Info("inbox on the LAN listener", "url", "http://"+publicHost(lan.Addr().String())+"/")
	return h.Close, nil
}

// newInbox builds the inbox for the LAN listener; its state lives in
// <data>/inbox.
func newInbox(o inboxOptions, dataDir string, d inboxDeps, log *slog.Logger) (*inbox.Handler, error) {
	hash, err := o.passwordHash(log)
	if err != nil {
		return nil, err
	}
	return inbox.New(inbox.Config{
		Store: d.store, Dir: filepath.Join(dataDir, "inbox"), PasswordHash: hash, Phones: d.phones,
		MMSCURL: mmscBase(d.publicURL, d.listen), Status: d.status, Version: version, Logger: log,
		SelfTest: d.selfTest, SelfTestOff: d.selfTestOff,
	})
}

// mmscBase is the base of the MMSC URL the phones page shows: the public
// URL when the owner gave one, else the host the owner's browser reached
// the LAN listener at with the MMSC listener's port, which is right for
// a phone on the home Wi-Fi.
func mmscBase(publicURL, listen string) func(r *http.Request) string {
	if publicURL != "" {
		return func(*http.Request) string { return strings.TrimRight(publicURL, "/") }
	}
	_, port, err := net.SplitHostPort(listen)
	if err != nil {
		port = "8080"
	}
	return func(r *http.Request) string {
		host := r.Host
		if h, _, err := net.SplitHostPort(r.Host); err == nil {
			host = h
		}
		return "http://" + net.JoinHostPort(strings.Trim(host, "[]"), port)
	}
}

// errorRing keeps the last few error records of the log for the status
// page; it wraps the appliance's slog handler.
type errorRing struct {
	slog.Handler
	r      *ring
	attrs  string // from WithAttrs, formatted
	prefix string // from WithGroup: "group."
}

type ring struct {
	mu   sync.Mutex
	last []inbox.StatusItem // newest last
}

const keptErrors = 5

// keepErrors returns a logger that also records its errors, and the way
// to read them.
func keepErrors(log *slog.Logger) (*slog.Logger, func() []inbox.StatusItem) {
	r := &ring{}
	return slog.New(errorRing{Handler: log.Handler(), r: r}), r.items
}

func (e errorRing) Handle(ctx context.Context, rec slog.Record) error {
	if rec.Level >= slog.LevelError {
		e.r.add(rec, e.attrs, e.prefix)
	}
	return e.Handler.Handle(ctx, rec)
}

func (e errorRing) WithAttrs(as []slog.Attr) slog.Handler {
	e.Handler = e.Handler.WithAttrs(as)
	for _, a := range as {
		e.attrs += " " + e.prefix + a.Key + "=" + a.Value.String()
	}
	return e
}

func (e errorRing) WithGroup(name string) slog.Handler {
	e.Handler = e.Handler.WithGroup(name)
	e.prefix += name + "."
	return e
}

func (r *ring) add(rec slog.Record, attrs, prefix string) {
	var b strings.Builder
	b.WriteString(rec.Message + attrs)
	rec.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + prefix + a.Key + "=" + a.Value.String())
		return true
	})
	item := inbox.StatusItem{Label: "Error " + rec.Time.Local().Format("2006-01-02 15:04:05"), Value: b.String(), Bad: true}
	r.mu.Lock()
	r.last = append(r.last, item)
	if len(r.last) > keptErrors {
		r.last = r.last[1:]
	}
	r.mu.Unlock()
}

// items returns the kept errors, newest first.
func (r *ring) items() []inbox.StatusItem {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]inbox.StatusItem, len(r.last))
	for i, it := range r.last {
		out[len(r.last)-1-i] = it
	}
	return out
}

// modemRow describes the modem and the owner's outbox for the status
// page; nil without a modem.
func modemRow(report func() modemReport) func() (string, bool) {
	if report == nil {
		return nil
	}
	return func() (string, bool) {
		r := report()
		st := r.status
		if !st.Present {
			return "not found" + lastErr(st.LastError), true
		}
		v := orUnknown(st.Model) + ", " + orUnknown(st.Reg)
		if st.Operator != "" {
			v += " (" + st.Operator + ")"
		}
		if b := bars(st.Signal); b >= 0 {
			v += fmt.Sprintf(", signal %d/4", b)
		}
		if r.notifier {
			v += fmt.Sprintf("; outbox %d waiting, %d sent, %d given up", r.notify.Queued, r.notify.Sent, r.notify.Failed)
			v += lastErr(r.notify.LastError)
		}
		return v + lastErr(st.LastError), !st.Registered || r.notify.Queued > 0 && r.notify.LastError != ""
	}
}

func lastErr(s string) string {
	if s == "" {
		return ""
	}
	return "; last error: " + s
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// statusRows are the appliance's rows of the inbox's status page.
type statusRows struct {
	clockSynced func() bool
	modem       func() (string, bool) // state, bad; nil = no modem configured
	display     func() string         // nil = none
	errors      func() []inbox.StatusItem
}

func (s statusRows) rows() []inbox.StatusItem {
	var out []inbox.StatusItem
	if s.clockSynced != nil {
		row := inbox.StatusItem{Label: "Clock", Value: "synchronised"}
		if !s.clockSynced() {
			row = inbox.StatusItem{Label: "Clock", Value: "not synchronised: messages get a marked time", Bad: true}
		}
		out = append(out, row)
	}
	if s.modem == nil {
		out = append(out, inbox.StatusItem{Label: "Modem", Value: "none configured"})
	} else {
		v, bad := s.modem()
		out = append(out, inbox.StatusItem{Label: "Modem", Value: v, Bad: bad})
	}
	disp := "none"
	if s.display != nil {
		disp = s.display()
	}
	out = append(out, inbox.StatusItem{Label: "Display", Value: disp, Bad: disp == "failing" || disp == "absent"})
	if s.errors != nil {
		errs := s.errors()
		if len(errs) == 0 {
			out = append(out, inbox.StatusItem{Label: "Errors", Value: "none since the start"})
		}
		out = append(out, errs...)
	}
	return out
}
