package mm3

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/homemmsc/homemmsc/internal/outbox"
)

// Kind is the outbox kind of the e-mails.
const Kind = "email"

// DefaultExpiry is how long an e-mail is retried before it is given up.
const DefaultExpiry = 7 * 24 * time.Hour

// Forwarder is e-mail forwarding on the durable outbox: the Handler of
// Kind, and the Queue the Ledger's Feed adds to.
type Forwarder struct {
	Sender *Sender
	Store  Store
	Ledger *Ledger
	Box    *outbox.Outbox
	Expiry time.Duration    // if zero, DefaultExpiry
	Now    func() time.Time // if nil, time.Now
	Log    *slog.Logger     // if nil, logs are discarded
}

// Register makes f the outbox's handler of Kind: sent with Forward,
// retried while Temporary says so, given up at the expiry. E-mail does
// not go through the modem, so it is not spaced like the SMS.
func (f *Forwarder) Register() {
	if f.Log == nil {
		f.Log = slog.New(slog.DiscardHandler)
	}
	f.Box.Handle(Kind, outbox.Kind{Handler: f, Temporary: Temporary, Unspaced: true})
}

// Add queues the e-mail of stored message id (the Feed's Queue).
func (f *Forwarder) Add(id string) error {
	now, expiry := time.Now, f.Expiry
	if f.Now != nil {
		now = f.Now
	}
	if expiry == 0 {
		expiry = DefaultExpiry
	}
	return f.Box.Add(outbox.Item{ID: id, Kind: Kind, Expires: now().Add(expiry)})
}

// Send sends one item: the e-mail of the stored message it names.
func (f *Forwarder) Send(ctx context.Context, it outbox.Item, _ func() error) error {
	err := f.Sender.Forward(ctx, f.Store, it.ID)
	if AuthRefused(err) {
		f.Log.Error("mm3: the mail server refused the login: check -mail-user and -mail-password-file", "id", it.ID, "err", err)
	}
	return err
}

// Done records that the outbox is done with an item, and says so.
func (f *Forwarder) Done(it outbox.Item, err error) {
	if lerr := f.Ledger.Done(it.ID); lerr != nil {
		f.Log.Error("mm3: cannot record the e-mail as done; a restart may send it again", "id", it.ID, "err", lerr)
	}
	if err != nil {
		f.Log.Error("mm3: e-mail given up", "id", it.ID, "attempts", it.Attempts, "err", err)
		return
	}
	f.Log.Info("mm3: e-mail sent", "id", it.ID)
}

// Status is the status page's line for e-mail forwarding, and whether it
// needs the owner: the e-mails sent, waiting and given up, and the last
// error while one waits.
func (f *Forwarder) Status() (string, bool) {
	s := f.Box.Stats(Kind)
	v := fmt.Sprintf("to %s: %d sent, %d waiting, %d given up", strings.Join(f.Sender.cfg.To, ", "), s.Sent, s.Queued, s.Failed)
	if s.LastError != "" {
		v += "; last error: " + s.LastError
	}
	return v, s.Queued > 0 && s.LastError != ""
}
