package mm3

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/faketime"
	"github.com/homemmsc/homemmsc/internal/mm3/smtptest"
	"github.com/homemmsc/homemmsc/internal/outbox"
	"github.com/homemmsc/homemmsc/internal/store"
)

// forwarding is e-mail forwarding on a real outbox and store, driven one
// step at a time (SendNext) on a test clock.
type forwarding struct {
	t     *testing.T
	st    *store.Store
	clock *faketime.Fake
	box   *outbox.Outbox
	led   *Ledger
	f     *Forwarder
	dir   string
}

func newForwarding(t *testing.T, st *store.Store, dir string, cfg Config) *forwarding {
	t.Helper()
	fw := &forwarding{t: t, st: st, clock: faketime.New(received), dir: dir}
	box, err := outbox.Open(outbox.Config{Dir: dir + "/outbox", MinSpacing: -1, Now: fw.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	led, err := OpenLedger(dir+"/mail", st, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	fw.box, fw.led = box, led
	fw.f = &Forwarder{Sender: s, Store: st, Ledger: led, Box: box, Now: fw.clock.Now}
	fw.f.Register()
	t.Cleanup(func() { box.Close(); led.Close() })
	return fw
}

// step does what the outbox's Run would do next.
func (fw *forwarding) step() bool { return fw.box.SendNext(context.Background()) }

func (fw *forwarding) stats() outbox.Stats { return fw.box.Stats(Kind) }

// TestOutboxForwards: a message stored with forwarding on goes into the
// outbox once, is sent, and is recorded as done: a restart does not
// queue it again. (TestFeedStartsNow covers arrivals while the feed runs.)
func TestOutboxForwards(t *testing.T) {
	srv := smtptest.Start(t, "starttls")
	st, dir := openStore(t), t.TempDir()
	fw := newForwarding(t, st, dir, config(srv, StartTLS, "me@example.org"))
	m := put(t, st, picture(), anna) // after forwarding was turned on: the feed's start recovers it
	ctx, cancel := context.WithCancel(context.Background())
	wait := fw.led.Feed(ctx, st, fw.f)
	if !fw.box.Has(Kind, m.ID) {
		t.Fatal("the message was not queued")
	}
	cancel()
	wait()
	if !fw.step() || fw.stats().Sent != 1 || fw.stats().Queued != 0 || len(srv.Received()) != 1 {
		t.Fatalf("after one step: %+v, %d e-mails", fw.stats(), len(srv.Received()))
	}
	fw.box.Close()
	fw.led.Close()

	again := newForwarding(t, st, dir, config(srv, StartTLS, "me@example.org"))
	ctx, cancel = context.WithCancel(context.Background())
	wait = again.led.Feed(ctx, st, again.f)
	cancel()
	wait()
	if again.step() || again.box.Len(Kind) != 0 || len(srv.Received()) != 1 {
		t.Fatalf("after a restart the e-mail was queued again: %d queued, %d e-mails", again.box.Len(Kind), len(srv.Received()))
	}
}

// TestOutboxRetriesThenExpires: a 4xx keeps the e-mail queued with its
// error, retried after the back-off; past the expiry it is given up and
// recorded as done.
func TestOutboxRetriesThenExpires(t *testing.T) {
	srv := smtptest.Start(t, "starttls")
	st := openStore(t)
	fw := newForwarding(t, st, t.TempDir(), config(srv, StartTLS, "full@example.org"))
	m := put(t, st, picture(), anna)
	if err := fw.f.Add(m.ID); err != nil {
		t.Fatal(err)
	}
	if !fw.step() || fw.stats().Queued != 1 || fw.stats().Sent != 0 || fw.stats().LastError == "" {
		t.Fatalf("after a 452: %+v", fw.stats())
	}
	if v, bad := fw.f.Status(); !bad || !strings.Contains(v, "1 waiting") || !strings.Contains(v, "452") {
		t.Errorf("status %q bad=%v", v, bad)
	}
	if fw.step() {
		t.Fatal("retried before the back-off")
	}
	fw.clock.Add(time.Minute)
	if !fw.step() || fw.box.Items(Kind)[0].Attempts != 2 {
		t.Fatalf("second attempt: %+v", fw.box.Items(Kind))
	}
	fw.clock.Add(DefaultExpiry)
	if !fw.step() || fw.stats().Failed != 1 || fw.stats().Queued != 0 || !fw.led.done[m.ID] {
		t.Fatalf("past the expiry: %+v, done %v", fw.stats(), fw.led.done[m.ID])
	}
	if n := len(srv.Received()); n != 0 {
		t.Fatalf("%d e-mails accepted", n)
	}
}

// TestOutboxGivesUpOn5xx: a permanent refusal ends the item at once.
func TestOutboxGivesUpOn5xx(t *testing.T) {
	srv := smtptest.Start(t, "starttls")
	st := openStore(t)
	fw := newForwarding(t, st, t.TempDir(), config(srv, StartTLS, "reject@example.org"))
	m := put(t, st, picture(), anna)
	fw.f.Add(m.ID)
	if !fw.step() || fw.stats().Failed != 1 || fw.stats().Queued != 0 || !fw.led.done[m.ID] {
		t.Fatalf("after a 550: %+v", fw.stats())
	}
}

// TestOutboxAuthRefusedWaits: a refused login keeps the e-mail for when
// the owner fixes the password.
func TestOutboxAuthRefusedWaits(t *testing.T) {
	srv := smtptest.Start(t, "starttls")
	st := openStore(t)
	cfg := config(srv, StartTLS, "me@example.org")
	cfg.Password = "wrong"
	fw := newForwarding(t, st, t.TempDir(), cfg)
	m := put(t, st, picture(), anna)
	fw.f.Add(m.ID)
	if !fw.step() || fw.stats().Queued != 1 || fw.stats().Failed != 0 {
		t.Fatalf("after the login was refused: %+v", fw.stats())
	}
}
