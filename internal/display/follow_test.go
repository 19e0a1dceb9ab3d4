package display

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/mmsc"
	"github.com/homemmsc/homemmsc/internal/store"
)

func testMessage(subject string) store.Incoming {
	return store.Incoming{
		PDU:    []byte{0x8C, 0x80, 0x98, 'T', 0},
		Msg:    &mms.Message{Type: mms.TypeSendReq, TransactionID: "T", Version: mms.Version12, Subject: mms.EncodedString{Charset: mms.CharsetUTF8, Raw: []byte(subject)}},
		Sender: store.Sender{Number: "+15550001111", Name: "Alice", Source: "token"},
	}
}

func readScreen(t *testing.T, path string) []bool {
	t.Helper()
	img := readPNG(t, path)
	var bits []bool
	for y := 0; y < img.Bounds().Dy(); y++ {
		for x := 0; x < img.Bounds().Dx(); x++ {
			bits = append(bits, grey(img, x, y) >= 0x80)
		}
	}
	return bits
}

func renderBits(st Status) []bool {
	img := Render(st, Panel128x64)
	var bits []bool
	for y := 0; y < 64; y++ {
		for x := 0; x < 128; x++ {
			bits = append(bits, bool(img.BitAt(x, y)))
		}
	}
	return bits
}

// TestFollowsStore runs the real store and the PNG screen in a
// synctest bubble: the clock does not move, so a PNG that changes after a
// Put changed without waiting for any timer — well within a second.
func TestFollowsStore(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "screen.png")
	synced := func() bool { return true }
	log := slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))
	open := func() *store.Store {
		st, err := store.Open(store.Config{Dir: filepath.Join(dir, "data"), MinFree: -1, ClockSynced: synced})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	synctest.Test(t, func(t *testing.T) {
		st := open()
		src := SourceConfig{Store: st, Listen: "192.168.1.20:8080", Synced: synced}
		follow := func() (stop func()) {
			return Follow(context.Background(), FollowConfig{Screen: NewPNGWriter(path, Panel128x64), Source: NewSource(src), OffAfter: 30 * time.Minute, Logger: log})
		}
		want := func(n int) []bool {
			s := NewSource(src).Status()
			if s.New != n {
				t.Fatalf("store says %d new, want %d", s.New, n)
			}
			return renderBits(s)
		}
		stop := follow()
		synctest.Wait()
		if !slices.Equal(readScreen(t, path), want(0)) {
			t.Error("first PNG is not the idle screen")
		}

		for i := 0; i < 2; i++ {
			if _, err := st.Put(testMessage("hello")); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		if !slices.Equal(readScreen(t, path), want(2)) {
			t.Error("PNG did not change to 2 new messages without time passing")
		}
		stop()
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}

		// Restart: the count comes back from disk.
		st = open()
		src.Store = st
		stop = follow()
		synctest.Wait()
		if !slices.Equal(readScreen(t, path), want(2)) {
			t.Error("after a restart the PNG does not show 2 new messages")
		}
		if err := st.MarkAllSeen(); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if !slices.Equal(readScreen(t, path), want(0)) {
			t.Error("after MarkAllSeen the PNG does not show 0 new")
		}
		stop()
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestFollowButtonMarksSeen(t *testing.T) {
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		st, err := store.Open(store.Config{Dir: dir, MinFree: -1})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if _, err := st.Put(testMessage("x")); err != nil {
			t.Fatal(err)
		}
		press := make(chan func(), 1)
		stop := Follow(context.Background(), FollowConfig{
			Screen: NewPNGWriter(filepath.Join(t.TempDir(), "s.png"), Panel128x64),
			Source: NewSource(SourceConfig{Store: st, Listen: ":8080", Synced: func() bool { return true }}),
			Button: func(ctx context.Context, pressed func()) error { press <- pressed; <-ctx.Done(); return nil },
			Logger: slog.New(slog.DiscardHandler),
		})
		(<-press)()
		synctest.Wait()
		if n := st.Stats().New; n != 0 {
			t.Errorf("after a button press %d messages are new, want 0", n)
		}
		stop()
	})
}

func TestSourceTrouble(t *testing.T) {
	st, err := store.Open(store.Config{Dir: t.TempDir(), MinFree: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Put(testMessage("big")); err != nil {
		t.Fatal(err)
	}
	src := NewSource(SourceConfig{Store: st, Listen: "10.0.0.2:80", Quota: 1, Synced: func() bool { return false }})
	s := src.Status()
	if !s.QuotaFull || s.DiskFull || s.Modem != nil || s.ClockSynced || s.Addr != "10.0.0.2:80" || s.Last == nil || s.Last.Sender != "Alice" || s.Last.Subject != "big" {
		t.Errorf("status = %+v", s)
	}
	// With the LAN listener on, the bottom line is the inbox's address.
	if s := NewSource(SourceConfig{Store: st, Listen: "10.0.0.2:80", Inbox: "10.0.0.2:8081"}).Status(); s.Addr != "10.0.0.2:8081" {
		t.Errorf("with -lan, the address shown is %q", s.Addr)
	}
	code := NewSource(SourceConfig{Store: st, Listen: ":80", SetupCode: func() string { return "482173" }}).Status()
	if code.SetupCode != "482173" || code.trouble()[0] != "CODE 482173" {
		t.Errorf("the setup code is not on the screen first: %q", code.trouble())
	}
}

// TestSourceRefused: a message refused by the quota shows QUOTA FULL
// though the quota is not reached (it did not fit in what was left), a
// claimed sender shows as claimed, and the screen clears when there is
// room again.
func TestSourceRefused(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(store.Config{Dir: dir, MinFree: -1})
	if err != nil {
		t.Fatal(err)
	}
	claimed := testMessage("claimed")
	claimed.Sender = store.Sender{Number: "+15557654321", Source: "query"}
	if _, err := st.Put(claimed); err != nil {
		t.Fatal(err)
	}
	per := st.Stats().Bytes
	st.Close()
	st, err = store.Open(store.Config{Dir: dir, MinFree: -1, MaxBytes: per + per/2})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	src := NewSource(SourceConfig{Store: st, Listen: ":8080", Quota: per + per/2})
	if s := src.Status(); s.QuotaFull || s.DiskFull || s.Last.Sender != "+15557654321" || !s.Last.Claimed {
		t.Errorf("before the refusal: %+v, sender %q", s, s.Last.Sender)
	}
	if _, err := st.Put(testMessage("too much")); !errors.Is(err, store.ErrFull) {
		t.Fatalf("Put over the quota: %v", err)
	}
	s := src.Status()
	if !s.QuotaFull || s.DiskFull || s.StoreError != "" || !strings.Contains(strings.Join(s.trouble(), " "), "QUOTA FULL") {
		t.Errorf("after the refusal: %+v", s)
	}
	ms, _ := st.Query(store.Query{})
	if err := st.Delete(ms[0].ID); err != nil {
		t.Fatal(err)
	}
	if s := src.Status(); s.QuotaFull || s.DiskFull {
		t.Errorf("with room again: %+v", s)
	}
}

// fakeScreen is a Screen whose commands fail while err is set.
type fakeScreen struct{ err error }

func (f *fakeScreen) String() string                                       { return "fake" }
func (f *fakeScreen) Halt() error                                          { return f.err }
func (f *fakeScreen) ColorModel() color.Model                              { return color.GrayModel }
func (f *fakeScreen) Bounds() image.Rectangle                              { return image.Rect(0, 0, 128, 64) }
func (f *fakeScreen) Draw(image.Rectangle, image.Image, image.Point) error { return f.err }
func (f *fakeScreen) SetContrast(byte) error                               { return f.err }

func TestWatch(t *testing.T) {
	var none *Watch
	if none.State() != StateNone || none.Wrap(&fakeScreen{}) == nil {
		t.Error("a nil watch is not usable")
	}
	w := &Watch{}
	if w.State() != StateNone {
		t.Errorf("fresh watch: %s", w.State())
	}
	f := &fakeScreen{}
	s := w.Wrap(f)
	steps := []struct {
		do   func() error
		err  error
		want string
	}{
		{func() error { return s.Draw(image.Rectangle{}, nil, image.Point{}) }, nil, StateOn},
		{s.Halt, nil, StateOff},
		{func() error { return s.SetContrast(1) }, errors.New("i2c: nack"), StateFailing},
		{func() error { return s.SetContrast(1) }, nil, StateOn},
	}
	for i, st := range steps {
		f.err = st.err
		if err := st.do(); err != st.err || w.State() != st.want {
			t.Errorf("step %d: err %v, state %s; want %v, %s", i, err, w.State(), st.err, st.want)
		}
	}
	reopen := w.WrapReopen(func() (Screen, error) { return nil, errors.New("gone") })
	if _, err := reopen(); err == nil || w.State() != StateFailing {
		t.Errorf("failed reopen: %v, state %s", err, w.State())
	}
}

// TestPostChangesPNG posts an M-Send.req to the real MMSC handler and
// store with the PNG screen attached, in a synctest bubble: the PNG shows
// the message before any time passes, so well within a second.
func TestPostChangesPNG(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "screen.png")
	msg := testMessage("Hello from the test").Msg
	msg.From = mms.Address{Insert: true}
	msg.To = []mms.Address{{Value: mms.EncodedString{Raw: []byte("+15557654321/TYPE=PLMN")}}}
	msg.ContentType = mms.ContentType{MediaType: "application/vnd.wap.multipart.mixed"}
	msg.Parts = []mms.Part{{ContentType: mms.ContentType{MediaType: "text/plain"}, Data: []byte("hi")}}
	pdu, err := msg.Encode()
	if err != nil {
		t.Fatal(err)
	}
	synctest.Test(t, func(t *testing.T) {
		st, err := store.Open(store.Config{Dir: filepath.Join(dir, "data"), MinFree: -1})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		log := slog.New(slog.DiscardHandler)
		stop := Follow(context.Background(), FollowConfig{Screen: NewPNGWriter(path, Panel128x64), Logger: log,
			Source: NewSource(SourceConfig{Store: st, Listen: "192.168.1.20:8080"})})
		defer stop()
		synctest.Wait()
		before := readScreen(t, path)

		h := mmsc.NewHandler(mmsc.Config{Store: st, Open: true, Logger: log})
		req := httptest.NewRequest("POST", "/mms?n=%2B15551234567", bytes.NewReader(pdu))
		req.Header.Set("Content-Type", "application/vnd.wap.mms-message")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if n := st.Stats().New; rec.Code != 200 || n != 1 {
			t.Fatalf("POST: HTTP %d, %d new in the store", rec.Code, n)
		}
		synctest.Wait()
		if slices.Equal(readScreen(t, path), before) {
			t.Error("the PNG did not change after the POST")
		}
	})
}
