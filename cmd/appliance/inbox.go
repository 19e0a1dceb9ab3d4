package main

import (
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"

	"github.com/homemmsc/homemmsc/internal/deliver"
	"github.com/homemmsc/homemmsc/internal/httpserve"
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

// startInbox builds the inbox for the LAN listener; without a LAN
// listener there is none (nil). Its state lives in <data>/inbox. stop
// releases it.
func startInbox(o options, lan net.Listener, cfg inbox.Config, log *slog.Logger) (h *inbox.Handler, stop func(), err error) {
	if lan == nil {
		log.Info("inbox off: it is served on the LAN listener only (-lan)")
		return nil, func() {}, nil
	}
	cfg.Dir, cfg.Version, cfg.Logger = filepath.Join(o.data, "inbox"), version, log
	if cfg.PasswordHash, err = inbox.ReadPasswordFile(o.inboxOpts.passwordFile, log); err != nil {
		return nil, nil, fmt.Errorf("inbox: %w", err)
	}
	if h, err = inbox.New(cfg); err != nil {
		return nil, nil, fmt.Errorf("inbox: %w", err)
	}
	log.Info("inbox on the LAN listener", "url", "http://"+netaddr.WithHost(lan.Addr().String(), "<this-host>")+"/")
	return h, h.Close, nil
}

// lanRoutes are the LAN listener's routes besides /healthz and /metrics:
// the self-test endpoint and, when there is one, the inbox.
func lanRoutes(selftest http.Handler, ib *inbox.Handler) httpserve.LANRoutes {
	d := httpserve.LANRoutes{SelfTest: selftest, SelfTestPath: deliver.SelfTestPath}
	if ib != nil { // a nil *inbox.Handler in the interface would not be nil
		d.Inbox = ib
	}
	return d
}
