package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"

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
	hash, err := inbox.ReadPasswordFile(o.passwordFile, log)
	if err != nil {
		return nil, err
	}
	return inbox.New(inbox.Config{
		Store: d.store, Dir: filepath.Join(dataDir, "inbox"), PasswordHash: hash, Phones: d.phones,
		MMSCURL: inbox.MMSCBase(d.publicURL, d.listen), Status: d.status, Version: version, Logger: log,
		SelfTest: d.selfTest, SelfTestOff: d.selfTestOff,
	})
}
