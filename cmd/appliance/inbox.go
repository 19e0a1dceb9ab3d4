package main

import (
	"flag"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"

	"github.com/homemmsc/homemmsc/internal/inbox"
	"github.com/homemmsc/homemmsc/internal/netaddr"
)

// inboxOptions are the owner's inbox's flags.
type inboxOptions struct {
	passwordFile string
}

func (i *inboxOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&i.passwordFile, "inbox-password-file", "",
		"file holding the inbox password, or better its hash (pbkdf2-sha256$...); empty = chosen on the first visit from the LAN")
}

// startInbox builds the inbox for the LAN listener and gives it to a;
// without a LAN listener there is no inbox. Its state lives in
// <data>/inbox. stop releases it.
func startInbox(o options, lan net.Listener, cfg inbox.Config, a *appliance, log *slog.Logger) (stop func(), err error) {
	if lan == nil {
		log.Info("inbox off: it is served on the LAN listener only (-lan)")
		return func() {}, nil
	}
	cfg.Dir, cfg.Version, cfg.Logger = filepath.Join(o.data, "inbox"), version, log
	if cfg.PasswordHash, err = inbox.ReadPasswordFile(o.inboxOpts.passwordFile, log); err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	h, err := inbox.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	a.inbox = h
	log.Info("inbox on the LAN listener", "url", "http://"+netaddr.WithHost(lan.Addr().String(), "<this-host>")+"/")
	return h.Close, nil
}

// setupCode is the inbox's one-time setup code for the OLED; "" without
// an inbox or once a password is set.
func (a *appliance) setupCode() string {
	if h, ok := a.inbox.(*inbox.Handler); ok {
		return h.SetupCode()
	}
	return ""
}
