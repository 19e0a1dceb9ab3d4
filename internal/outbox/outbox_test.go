package outbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

var (
	errTemp    = errors.New("busy")
	errAbsent  = errors.New("no modem")
	errForever = errors.New("bad number")
)

// fakeHandler records what it is asked; errs are the outcomes of the
// next attempts (nil once used up). steps is how many sub-steps an
// attempt takes; stopAfter makes an attempt stop (as in a crash) after
// that many steps.
type fakeHandler struct {
	mu        sync.Mutex
	errs      []error
	steps     int
	stopAfter int
	sends     []string    // "<id>@<step it resumed at>"
	at        []time.Time // when each attempt started
	done      []string    // "<id>:<err>"
}

func (f *fakeHandler) Send(ctx context.Context, it Item, step func() error) error {
	f.mu.Lock()
	f.sends = append(f.sends, fmt.Sprintf("%s@%d", it.ID, it.Steps))
	f.at = append(f.at, time.Now())
	var err error
	if len(f.errs) > 0 {
		err, f.errs = f.errs[0], f.errs[1:]
	}
	steps, stop := f.steps, f.stopAfter
	f.mu.Unlock()
	if err != nil {
		return err
	}
	for i := it.Steps; i < steps; i++ {
		if stop > 0 && i == stop {
			return context.Canceled
		}
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeHandler) Done(it Item, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.done = append(f.done, fmt.Sprintf("%s:%v", it.ID, err))
}

func (f *fakeHandler) result() (sends, done []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.sends), slices.Clone(f.done)
}

func open(t *testing.T, dir string, h *fakeHandler, cfg Config) *Outbox {
	t.Helper()
	return openReady(t, dir, h, cfg, nil)
}

// openReady is open with the kind's Ready.
func openReady(t *testing.T, dir string, h *fakeHandler, cfg Config, ready func() <-chan struct{}) *Outbox {
	t.Helper()
	cfg.Dir = dir
	o, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	o.Handle("sms", Kind{Handler: h, MaxAttempts: 3, Ready: ready,
		Temporary: func(err error) bool { return !errors.Is(err, errForever) },
		Absent:    func(err error) bool { return errors.Is(err, errAbsent) }})
	return o
}

// run runs o in the bubble until stop is called.
func run(o *Outbox) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { o.Run(ctx); close(done) }()
	return func() { cancel(); <-done; o.Close() }
}

func add(t *testing.T, o *Outbox, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if err := o.Add(Item{ID: id, Kind: "sms"}); err != nil {
			t.Fatal(err)
		}
	}
}

// Items go out at once, oldest first, at least MinSpacing apart.
func TestSendsInOrderSpaced(t *testing.T) {
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		h := &fakeHandler{}
		o := open(t, dir, h, Config{MinSpacing: 3 * time.Second})
		start := time.Now()
		add(t, o, "a", "b", "c")
		stop := run(o)
		time.Sleep(10 * time.Second)
		synctest.Wait()
		stop()
		sends, done := h.result()
		if !slices.Equal(sends, []string{"a@0", "b@0", "c@0"}) || !slices.Equal(done, []string{"a:<nil>", "b:<nil>", "c:<nil>"}) {
			t.Errorf("sends %q, done %q", sends, done)
		}
		for i, want := range []time.Duration{0, 3 * time.Second, 6 * time.Second} {
			if got := h.at[i].Sub(start); got != want {
				t.Errorf("send %d at +%v, want +%v", i, got, want)
			}
		}
		if s := o.Stats("sms"); s.Sent != 3 || s.Queued != 0 {
			t.Errorf("stats %+v", s)
		}
		if ents, _ := filepath.Glob(filepath.Join(dir, "item.*")); len(ents) != 0 {
			t.Errorf("files left: %v", ents)
		}
	})
}

// A temporary error is retried after MinBackoff, doubling; the third
// failure (MaxAttempts 3) gives the item up. A permanent one gives up at
// once.
func TestBackoffAndGivingUp(t *testing.T) {
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		h := &fakeHandler{errs: []error{errTemp, errTemp, errTemp, errForever}}
		o := open(t, dir, h, Config{MinSpacing: -1, MinBackoff: time.Minute})
		start := time.Now()
		add(t, o, "a")
		stop := run(o)
		time.Sleep(time.Hour)
		synctest.Wait()
		var at []time.Duration
		for _, t := range h.at {
			at = append(at, t.Sub(start))
		}
		if want := []time.Duration{0, time.Minute, 3 * time.Minute}; !slices.Equal(at, want) {
			t.Errorf("attempts at %v, want %v", at, want)
		}
		add(t, o, "b")
		synctest.Wait()
		stop()
		_, done := h.result()
		if !slices.Equal(done, []string{"a:busy", "b:bad number"}) {
			t.Errorf("done %q", done)
		}
		if s := o.Stats("sms"); s.Failed != 2 || s.LastError != "bad number" {
			t.Errorf("stats %+v", s)
		}
	})
}

// An absent transport uses no attempt, and its return (Ready closing)
// makes the item due at once instead of after its back-off.
func TestAbsentThenReady(t *testing.T) {
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		h := &fakeHandler{errs: []error{errAbsent, errAbsent, errAbsent}}
		var mu sync.Mutex
		ready := make(chan struct{})
		o := openReady(t, dir, h, Config{MinBackoff: time.Hour, MaxBackoff: 4 * time.Hour}, func() <-chan struct{} {
			mu.Lock()
			defer mu.Unlock()
			return ready
		})
		add(t, o, "a")
		stop := run(o)
		time.Sleep(150 * time.Minute) // attempts at 0, 1 h, 2 h: absent uses no attempt, so the back-off does not grow and the item is not given up
		synctest.Wait()
		start := time.Now()
		mu.Lock()
		close(ready)
		ready = make(chan struct{})
		mu.Unlock()
		synctest.Wait()
		stop()
		sends, done := h.result()
		if len(sends) != 4 || !slices.Equal(done, []string{"a:<nil>"}) || o.Stats("sms").Failed != 0 {
			t.Errorf("sends %q, done %q", sends, done)
		}
		if got := h.at[len(h.at)-1]; !got.Equal(start) {
			t.Errorf("the last attempt came %v after Ready, want at once; attempts at %v", got.Sub(start), h.at)
		}
	})
}

// An expired item is given up without being sent.
func TestExpired(t *testing.T) {
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		h := &fakeHandler{errs: []error{errTemp}}
		o := open(t, dir, h, Config{MinBackoff: time.Hour})
		if err := o.Add(Item{ID: "a", Kind: "sms", Expires: time.Now().Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		stop := run(o)
		time.Sleep(2 * time.Hour)
		synctest.Wait()
		stop()
		sends, done := h.result()
		if len(sends) != 1 || !slices.Equal(done, []string{"a:" + ErrExpired.Error()}) {
			t.Errorf("sends %q, done %q", sends, done)
		}
	})
}

// A restart resumes an item at the step after the last one recorded, and
// an item recorded as sent is not sent again: only Done is repeated.
func TestRestartResumes(t *testing.T) {
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		h := &fakeHandler{steps: 3, stopAfter: 2}
		o := open(t, dir, h, Config{})
		add(t, o, "a")
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // the attempt "crashes" after two steps: its outcome is not recorded
		o.attempt(ctx, o.items[0], o.kinds["sms"])
		o.Close()

		h2 := &fakeHandler{steps: 3}
		o = open(t, dir, h2, Config{})
		stop := run(o)
		synctest.Wait()
		stop()
		sends, done := h2.result()
		if !slices.Equal(sends, []string{"a@2"}) || !slices.Equal(done, []string{"a:<nil>"}) {
			t.Errorf("after restart: sends %q, done %q", sends, done)
		}

		// Sent, then a crash before the file went: Done again, no send.
		o = open(t, dir, &fakeHandler{}, Config{})
		add(t, o, "b")
		if err := o.jrnl.done(fileName("sms", "b")); err != nil {
			t.Fatal(err)
		}
		o.Close()
		h3 := &fakeHandler{}
		o = open(t, dir, h3, Config{})
		stop = run(o)
		synctest.Wait()
		stop()
		sends, done = h3.result()
		if len(sends) != 0 || !slices.Equal(done, []string{"b:<nil>"}) {
			t.Errorf("sent before the crash: sends %q, done %q", sends, done)
		}
	})
}

// Add is idempotent by kind and ID, across a restart too; Remove drops
// an item without Done; an item of a kind nobody handles is refused.
func TestAddRemove(t *testing.T) {
	dir := t.TempDir()
	h := &fakeHandler{}
	o := open(t, dir, h, Config{})
	add(t, o, "a", "a", "b")
	o.Close()
	o = open(t, dir, h, Config{})
	add(t, o, "a")
	if n := o.Len("sms"); n != 2 {
		t.Errorf("%d items, want 2", n)
	}
	if err := o.Remove("sms", "a"); err != nil || o.Has("sms", "a") || !o.Has("sms", "b") {
		t.Errorf("Remove: %v", err)
	}
	if err := o.Add(Item{ID: "x", Kind: "fax"}); !errors.Is(err, ErrNoHandler) {
		t.Errorf("unknown kind: %v", err)
	}
	if err := o.Add(Item{ID: "../x", Kind: "sms"}); err == nil {
		t.Error("an id with a path accepted")
	}
	o.Close()
	if err := os.WriteFile(filepath.Join(dir, "item.sms.c.json"), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	o = open(t, dir, h, Config{})
	defer o.Close()
	if n := o.Len(""); n != 1 {
		t.Errorf("after a bad file: %d items, want 1", n)
	}
	if _, err := os.Stat(filepath.Join(dir, "item.sms.c.json.bad")); err != nil {
		t.Errorf("the bad file was not moved aside: %v", err)
	}
	if _, done := h.result(); len(done) != 0 {
		t.Errorf("Done called for %q", done)
	}
}

// An Unspaced kind (e-mail) goes out while the modem's spacing holds the
// others back, and does not hold them back itself.
func TestUnspacedKind(t *testing.T) {
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		h, mail := &fakeHandler{}, &fakeHandler{}
		o := open(t, dir, h, Config{MinSpacing: 3 * time.Second})
		o.Handle("email", Kind{Handler: mail, Unspaced: true})
		start := time.Now()
		add(t, o, "a", "b")
		if err := o.Add(Item{ID: "m", Kind: "email"}); err != nil {
			t.Fatal(err)
		}
		stop := run(o)
		time.Sleep(10 * time.Second)
		synctest.Wait()
		stop()
		if len(mail.at) != 1 || !mail.at[0].Equal(start) {
			t.Errorf("e-mail sent at %v, want at once", mail.at)
		}
		if len(h.at) != 2 || h.at[1].Sub(start) != 3*time.Second {
			t.Errorf("texts at %v, want +0 and +3s", h.at)
		}
	})
}
