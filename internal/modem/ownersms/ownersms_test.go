package ownersms

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/homemmsc/homemmsc/internal/modem"
	"github.com/homemmsc/homemmsc/internal/modem/at"
	"github.com/homemmsc/homemmsc/internal/modem/sms"
	"github.com/homemmsc/homemmsc/internal/outbox"
	"github.com/homemmsc/homemmsc/internal/store"
)

// fakeSender is a modem that answers with scripted errors (nil = sent)
// and records what it accepted.
type fakeSender struct {
	mu     sync.Mutex
	errs   []error
	sent   []*sms.Submit
	ready  chan struct{}
	hangAt int // if > 0, the hangAt-th send blocks until its context ends
	calls  int
	// plugInOnErr makes a session start while a scripted error is being
	// returned: the modem came back in the middle of a failing send.
	plugInOnErr bool
	t           *testing.T
}

func newSender(t *testing.T, errs ...error) *fakeSender {
	return &fakeSender{t: t, errs: errs, ready: make(chan struct{})}
}

func (f *fakeSender) Send(ctx context.Context, p sms.PDU) (int, error) {
	f.mu.Lock()
	f.calls++
	if f.calls == f.hangAt {
		f.mu.Unlock()
		<-ctx.Done()
		return 0, ctx.Err()
	}
	defer f.mu.Unlock()
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		if err != nil {
			if f.plugInOnErr {
				f.startSessionLocked()
			}
			return 0, err
		}
	}
	s, err := sms.DecodeSubmit(p.Bytes)
	if err != nil {
		f.t.Errorf("undecodable PDU %s: %v", p.Hex(), err)
		return 0, err
	}
	f.sent = append(f.sent, s)
	return len(f.sent), nil
}

func (f *fakeSender) Ready() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ready
}

func (f *fakeSender) plugIn() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.startSessionLocked()
}

// startSessionLocked closes the Ready channel of the session that just
// started and makes the next one. Called with f.mu held.
func (f *fakeSender) startSessionLocked() {
	close(f.ready)
	f.ready = make(chan struct{})
}

func (f *fakeSender) texts() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, s := range f.sent {
		out = append(out, s.To+": "+s.Text)
	}
	return out
}

// advance lets d of fake time pass in the synctest bubble, then waits
// until every goroutine in it is blocked again.
func advance(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}

// openBoth opens the outbox and a notifier on cfg.Dir, the modem f behind
// them, as the appliance does (the outbox's spacing and back-off are its
// defaults: 3 s, 30 s doubling).
func openBoth(t *testing.T, cfg Config, f *fakeSender) (*Notifier, *outbox.Outbox) {
	t.Helper()
	box, err := outbox.Open(outbox.Config{Dir: cfg.Dir})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Outbox = box
	n, err := Open(cfg, f)
	if err != nil {
		box.Close()
		t.Fatal(err)
	}
	return n, box
}

// start opens a notifier and its outbox on cfg.Dir and runs them; stop
// cancels and waits.
func start(t *testing.T, cfg Config, f *fakeSender) (*Notifier, func()) {
	t.Helper()
	n, box := openBoth(t, cfg, f)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { n.Run(ctx) })
	wg.Go(func() { box.Run(ctx) })
	return n, func() {
		cancel()
		wg.Wait()
		if err := box.Close(); err != nil {
			t.Error(err)
		}
	}
}

func photo(id, from string) Item {
	return Item{ID: id, From: from, Subject: "Hi", Parts: []string{"application/smil", "image/jpeg", "image/png", "text/plain"}, Size: 45_000}
}

func wantTexts(t *testing.T, f *fakeSender, want ...string) {
	t.Helper()
	got := f.texts()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("sent\n  %q\nwant\n  %q", got, want)
	}
}

func outboxFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "item.*"))
	p, _ := filepath.Glob(filepath.Join(dir, "pending.json"))
	return append(m, p...)
}

func TestCompose(t *testing.T) {
	tests := []struct {
		items []Item
		link  string
		want  string
	}{
		{[]Item{photo("1", "Alice")}, "http://mms.lan/inbox",
			`MMS from Alice: "Hi" - 2 photos, 1 text, 45 kB http://mms.lan/inbox`},
		{[]Item{{ID: "1", Parts: []string{"video/3gpp"}, Size: 2_345_678}}, "",
			"MMS from unknown sender - 1 video, 2.3 MB"},
		{[]Item{{ID: "1", From: "+15551234567", Subject: strings.Repeat("long ", 20), Parts: []string{"audio/amr", "application/pdf"}, Size: 999}}, "",
			`MMS from +15551234567: "long long long long long long long lo..." - 1 audio clip, 1 file, 999 B`},
		{[]Item{photo("1", "Alice"), photo("2", "Bob"), photo("3", "Alice")}, "",
			"3 new MMS: Alice 2, Bob 1 - 6 photos, 3 texts, 135 kB"},
		{[]Item{{ID: "1", From: "Alice", Parts: []string{"image/jpeg"}, Size: 1000, Kept: []string{"+15557654321"}}}, "",
			"MMS from Alice - 1 photo, 1.0 kB - kept here, not sent to +15557654321"},
		{[]Item{{ID: "1", From: "Alice", Kept: []string{"+15557654321", "+15550000000", "x@example.org"}}}, "",
			"MMS from Alice - kept here, not sent to +15557654321 and 2 more"},
		{[]Item{photo("1", "Alice"), {ID: "2", From: "Bob", Kept: []string{"+15557654321"}}}, "",
			"2 new MMS: Alice 1, Bob 1 - 2 photos, 1 text, 45 kB - 1 kept here only"},
	}
	for _, tt := range tests {
		if got := compose(tt.items, tt.link); got != tt.want {
			t.Errorf("got  %q\nwant %q", got, tt.want)
		}
	}
}

func TestSendsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		f := newSender(t)
		n, stop := start(t, Config{Dir: dir, Owners: []string{"+15550001111", "+15550002222"}, InboxURL: "http://mms.lan/"}, f)
		if err := n.Add(photo("m1", "Alice")); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		advance(3 * time.Second) // spacing between the two owners
		stop()
		text := `MMS from Alice: "Hi" - 2 photos, 1 text, 45 kB http://mms.lan/`
		wantTexts(t, f, "+15550001111: "+text, "+15550002222: "+text)
		if files := outboxFiles(t, dir); len(files) != 0 || n.Len() != 0 {
			t.Errorf("outbox not empty: %q, Len %d", files, n.Len())
		}
	})
}

// Ten messages within a minute: the first is texted at once, the nine
// that follow inside the window make one text that counts them.
func TestBurstCoalesced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newSender(t)
		n, stop := start(t, Config{Dir: t.TempDir(), Owners: []string{"+15550001111"}, Window: time.Minute}, f)
		n.Add(photo("m0", "Alice"))
		for i := 1; i < 10; i++ {
			time.Sleep(5 * time.Second)
			from := "Alice"
			if i%3 == 0 {
				from = "Bob"
			}
			n.Add(photo("m"+string(rune('0'+i)), from))
		}
		if n.Len() != 1 {
			t.Errorf("Len %d during the window, want 1 (the batch)", n.Len())
		}
		advance(time.Minute)
		stop()
		wantTexts(t, f,
			`+15550001111: MMS from Alice: "Hi" - 2 photos, 1 text, 45 kB`,
			"+15550001111: 9 new MMS: Alice 6, Bob 3 - 18 photos, 9 texts, 405 kB")
	})
}

// With a window and a text sent recently, ten new messages make one text
// that says ten.
func TestTenInAWindowMakeOne(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newSender(t)
		n, stop := start(t, Config{Dir: t.TempDir(), Owners: []string{"+15550001111"}, Window: time.Minute}, f)
		n.Add(photo("first", "Carol"))
		synctest.Wait()
		for i := range 10 {
			n.Add(photo("b"+string(rune('a'+i)), "Dan"))
		}
		advance(2 * time.Minute)
		stop()
		if got := f.texts(); len(got) != 2 || !strings.Contains(got[1], "10 new MMS: Dan 10") {
			t.Errorf("sent %q", got)
		}
	})
}

// +CMS ERROR: 500 twice, then the modem accepts: sent exactly once.
func TestTemporaryErrorsRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newSender(t, &at.CMSError{Code: 500, Text: "500"}, modem.ErrNotRegistered, nil)
		n, stop := start(t, Config{Dir: t.TempDir(), Owners: []string{"+15550001111"}}, f)
		n.Add(photo("m1", "Alice"))
		synctest.Wait()
		if n.Len() != 1 || n.LastError() == "" {
			t.Errorf("after a 500: Len %d, LastError %q", n.Len(), n.LastError())
		}
		advance(30 * time.Second) // first back-off
		if len(f.texts()) != 0 {
			t.Fatal("sent before the second back-off")
		}
		advance(60 * time.Second) // second back-off doubles
		stop()
		if got := f.texts(); len(got) != 1 || f.calls != 3 {
			t.Errorf("sent %q in %d calls", got, f.calls)
		}
	})
}

// +CMS ERROR: 304 is our bug, not the network's: dropped, not retried.
func TestPermanentErrorDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		f := newSender(t, &at.CMSError{Code: 304, Text: "304"})
		n, stop := start(t, Config{Dir: dir, Owners: []string{"+15550001111"}}, f)
		n.Add(photo("m1", "Alice"))
		advance(time.Hour)
		stop()
		if f.calls != 1 || n.Len() != 0 || len(outboxFiles(t, dir)) != 0 {
			t.Errorf("calls %d, Len %d, files %q", f.calls, n.Len(), outboxFiles(t, dir))
		}
	})
}

// No modem: nothing is lost; when it comes back the queue goes out at
// once, without waiting for the back-off.
func TestAbsentModemThenBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newSender(t, modem.ErrAbsent, modem.ErrAbsent)
		n, stop := start(t, Config{Dir: t.TempDir(), Owners: []string{"+15550001111"}}, f)
		n.Add(photo("m1", "Alice"))
		advance(31 * time.Second)
		f.plugIn()
		synctest.Wait()
		advance(3 * time.Second)
		stop()
		if got := f.texts(); len(got) != 1 {
			t.Errorf("sent %q", got)
		}
	})
}

// The modem comes back while a send is failing for its absence: the
// notifier must see that session start and retry at once, not after the
// back-off (a race the appliance's end-to-end test once lost).
func TestModemBackDuringFailingSend(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newSender(t, modem.ErrAbsent)
		f.plugInOnErr = true
		n, stop := start(t, Config{Dir: t.TempDir(), Owners: []string{"+15550001111"}}, f)
		n.Add(photo("m1", "Alice"))
		synctest.Wait() // no time passes: a back-off would leave it unsent
		stop()
		if got := f.texts(); len(got) != 1 {
			t.Errorf("sent %q, want the one text at once", got)
		}
	})
}

// A two-part text: the crash comes after the modem accepted part 1. After
// the restart only part 2 goes out, with the same reference.
func TestRestartResumesAtNextPart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		cfg := Config{Dir: dir, Owners: []string{"+15550001111"}, InboxURL: "http://mms.example.org/inbox/" + strings.Repeat("x", 120)}
		f1 := newSender(t)
		f1.hangAt = 2
		n1, stop1 := start(t, cfg, f1)
		n1.Add(photo("m1", "Alice"))
		synctest.Wait()
		stop1() // "crash" while part 2 is in flight

		f2 := newSender(t)
		n2, stop2 := start(t, cfg, f2)
		synctest.Wait()
		stop2()
		if len(f1.sent) != 1 || len(f2.sent) != 1 {
			t.Fatalf("before crash %d parts, after %d; want 1 and 1", len(f1.sent), len(f2.sent))
		}
		p1, p2 := f1.sent[0], f2.sent[0]
		if p1.Part != 1 || p2.Part != 2 || p1.Parts != 2 || p1.Ref != p2.Ref {
			t.Errorf("parts %d/%d ref %d then %d/%d ref %d", p1.Part, p1.Parts, p1.Ref, p2.Part, p2.Parts, p2.Ref)
		}
		if n2.Len() != 0 {
			t.Errorf("Len %d after resume", n2.Len())
		}
	})
}

// A crash after the batch became outbox files but before pending.json
// was removed: the batch is flushed again on restart, and the SMS goes
// out once.
func TestCrashDuringFlushSendsOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		cfg := Config{Dir: dir, Owners: []string{"+15550001111"}}
		n1, box1 := openBoth(t, cfg, newSender(t))
		n1.Add(photo("m1", "Alice"))
		pending, err := os.ReadFile(filepath.Join(dir, "pending.json"))
		if err != nil {
			t.Fatal(err)
		}
		n1.flushIfDue()
		box1.Close()
		// Put the batch back, as if the crash came before its removal.
		if err := os.WriteFile(filepath.Join(dir, "pending.json"), pending, 0o600); err != nil {
			t.Fatal(err)
		}
		f := newSender(t)
		_, stop := start(t, cfg, f)
		synctest.Wait()
		advance(10 * time.Second)
		stop()
		if got := f.texts(); len(got) != 1 {
			t.Errorf("sent %q, want one text", got)
		}
	})
}

// Recover at start queues what the ledger does not know, and only that.
func TestRecover(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		cfg := Config{Dir: dir, Owners: []string{"+15550001111"}}
		f1 := newSender(t)
		n1, stop1 := start(t, cfg, f1)
		n1.Add(photo("old", "Alice"))
		synctest.Wait()
		stop1()
		f2 := newSender(t)
		n2, stop2 := start(t, cfg, f2)
		if err := n2.Recover([]Item{photo("old", "Alice"), photo("lost", "Bob")}); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		stop2()
		wantTexts(t, f2, `+15550001111: MMS from Bob: "Hi" - 2 photos, 1 text, 45 kB`)
	})
}

func TestOpenErrors(t *testing.T) {
	box, err := outbox.Open(outbox.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer box.Close()
	if _, err := Open(Config{Dir: t.TempDir(), Outbox: box}, newSender(t)); !errors.Is(err, ErrNoOwner) {
		t.Errorf("no owner: %v", err)
	}
	if _, err := Open(Config{Dir: t.TempDir(), Owners: []string{"+1 555"}, Outbox: box}, newSender(t)); !errors.Is(err, sms.ErrBadNumber) {
		t.Errorf("bad owner: %v", err)
	}
	if _, err := Open(Config{Dir: t.TempDir(), Owners: []string{"+15550001111"}}, newSender(t)); err == nil {
		t.Error("no outbox: accepted")
	}
}

// With a zero window, messages that wait together (here: found by
// Recover at start) still make one text each.
func TestZeroWindowOneTextPerMessage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newSender(t)
		n, stop := start(t, Config{Dir: t.TempDir(), Owners: []string{"+15550001111"}}, f)
		if err := n.Recover([]Item{photo("m1", "Alice"), photo("m2", "Bob")}); err != nil {
			t.Fatal(err)
		}
		advance(time.Minute)
		stop()
		wantTexts(t, f,
			`+15550001111: MMS from Alice: "Hi" - 2 photos, 1 text, 45 kB`,
			`+15550001111: MMS from Bob: "Hi" - 2 photos, 1 text, 45 kB`)
	})
}

// TestItemOfSender: the owner's SMS names a proven sender by its phone
// and marks a claimed one as claimed, whatever name an older version
// stored with it.
func TestItemOfSender(t *testing.T) {
	for _, c := range []struct {
		s    store.Sender
		want string
	}{
		{store.Sender{Number: "+15551234567", Name: "Anna", Source: store.SourceToken}, "Anna"},
		{store.Sender{Number: "+15557654321", Name: "Anna", Source: store.SourceFrom}, "+15557654321 (claimed)"},
		{store.Sender{Number: "+15557654321", Source: store.SourceQuery}, "+15557654321 (claimed)"},
		{store.Sender{Source: store.SourceNone}, ""},
	} {
		if got := ItemOf(store.Meta{ID: "1", Sender: c.s}, nil).From; got != c.want {
			t.Errorf("ItemOf(%+v).From = %q, want %q", c.s, got, c.want)
		}
	}
}

// A text queued by a version before the shared outbox (out-*.json and
// sent.log) is moved into the outbox and resumes at the part after the
// one sent.log says the modem accepted.
func TestLegacyOutboxImported(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		long := "MMS from Alice " + strings.Repeat("x", 200)
		entry := `{"to":"+15550001111","text":"` + long + `","ref":7,"sent":0,"attempts":2,"created":"2026-01-01T00:00:00Z","items":["m1"]}`
		if err := os.WriteFile(filepath.Join(dir, "out-m1-0.json"), []byte(entry), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "sent.log"), []byte("out-m1-0.json 1\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		f := newSender(t)
		n, stop := start(t, Config{Dir: dir, Owners: []string{"+15550001111"}}, f)
		synctest.Wait()
		stop()
		if len(f.sent) != 1 || f.sent[0].Part != 2 || f.sent[0].Ref != 7 {
			t.Fatalf("sent %d parts (%+v), want part 2 of ref 7 only", len(f.sent), f.sent)
		}
		if old, _ := filepath.Glob(filepath.Join(dir, "out-*")); len(old) != 0 || n.Len() != 0 {
			t.Errorf("left: %q, Len %d", old, n.Len())
		}
		if _, err := os.Stat(filepath.Join(dir, "sent.log")); !os.IsNotExist(err) {
			t.Errorf("sent.log kept: %v", err)
		}
		n2, stop2 := start(t, Config{Dir: dir, Owners: []string{"+15550001111"}}, newSender(t))
		defer stop2()
		if n2.Recover([]Item{photo("m1", "Alice")}); n2.Len() != 0 {
			t.Error("after a restart, the imported text's message is not in the ledger")
		}
	})
}
