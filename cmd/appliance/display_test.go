package main

import (
	"bytes"
	"context"
	"image/color"
	"image/png"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/homemmsc/homemmsc/internal/display"
	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/mmsc"
	"github.com/homemmsc/homemmsc/internal/store"
)

func TestParseDisplay(t *testing.T) {
	def := displayOptions{addr: "0x3c", size: "128x64", offAfter: time.Minute}
	good := []struct {
		spec string
		opts func(*displayOptions)
		kind string
		want display.DriverConfig
	}{
		{"none", nil, "none", display.DriverConfig{Addr: 0x3C}},
		{"", nil, "none", display.DriverConfig{Addr: 0x3C}},
		{"i2c", nil, "i2c", display.DriverConfig{Controller: display.ControllerSSD1306, Addr: 0x3C}},
		{"ssd1306", func(d *displayOptions) { d.addr, d.size, d.rotate = "0x3D", "128x32", 180 }, "i2c",
			display.DriverConfig{Controller: display.ControllerSSD1306, Addr: 0x3D, Panel: display.Panel128x32, Rotate180: true}},
		{"sh1106", nil, "i2c", display.DriverConfig{Controller: display.ControllerSH1106, Addr: 0x3C}},
		{"png:/tmp/screen.png", nil, "png", display.DriverConfig{Addr: 0x3C}},
	}
	for _, tt := range good {
		d := def
		if tt.opts != nil {
			tt.opts(&d)
		}
		got, err := parseDisplay(tt.spec, d)
		if err != nil || got.kind != tt.kind || got.driver != tt.want {
			t.Errorf("parseDisplay(%q, %+v) = %+v, %v; want kind %s, %+v", tt.spec, d, got, err, tt.kind, tt.want)
		}
	}
	bad := []struct {
		spec string
		opts func(*displayOptions)
	}{
		{"hdmi", nil},
		{"png:", nil},
		{"i2c", func(d *displayOptions) { d.addr = "0x50" }},
		{"i2c", func(d *displayOptions) { d.addr = "sixty" }},
		{"i2c", func(d *displayOptions) { d.size = "96x16" }},
		{"i2c", func(d *displayOptions) { d.rotate = 90 }},
		{"i2c", func(d *displayOptions) { d.offAfter = -time.Second }},
		{"sh1106", func(d *displayOptions) { d.size = "128x32" }},
	}
	for _, tt := range bad {
		d := def
		if tt.opts != nil {
			tt.opts(&d)
		}
		if _, err := parseDisplay(tt.spec, d); err == nil {
			t.Errorf("parseDisplay(%q, %+v) accepted", tt.spec, d)
		}
	}
}

func testMessage(subject string) store.Incoming {
	return store.Incoming{
		PDU:    []byte{0x8C, 0x80, 0x98, 'T', 0},
		Msg:    &mms.Message{Type: mms.TypeSendReq, TransactionID: "T", Version: mms.Version12, Subject: mms.EncodedString{Charset: mms.CharsetUTF8, Raw: []byte(subject)}},
		Sender: store.Sender{Number: "+15550001111", Name: "Alice", Source: "token"},
	}
}

func readScreen(t *testing.T, path string) []bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	var bits []bool
	for y := 0; y < img.Bounds().Dy(); y++ {
		for x := 0; x < img.Bounds().Dx(); x++ {
			bits = append(bits, color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y >= 0x80)
		}
	}
	return bits
}

func renderBits(st display.Status) []bool {
	img := display.Render(st, display.Panel128x64)
	var bits []bool
	for y := 0; y < 64; y++ {
		for x := 0; x < 128; x++ {
			bits = append(bits, bool(img.BitAt(x, y)))
		}
	}
	return bits
}

// TestDisplayFollowsStore runs the real store and the PNG screen in a
// synctest bubble: the clock does not move, so a PNG that changes after a
// Put changed without waiting for any timer — well within a second.
func TestDisplayFollowsStore(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "screen.png")
	synced := func() bool { return true }
	opts := displayOptions{addr: "0x3c", size: "128x64", offAfter: 30 * time.Minute}
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
		deps := displayDeps{store: st, listen: "192.168.1.20:8080", synced: synced}
		want := func(n int) []bool {
			s := newStatusSource(deps).status()
			if s.New != n {
				t.Fatalf("store says %d new, want %d", s.New, n)
			}
			return renderBits(s)
		}
		stop := startDisplay(context.Background(), "png:"+path, opts, deps, log)
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
		deps.store = st
		stop = startDisplay(context.Background(), "png:"+path, opts, deps, log)
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

func TestDisplayButtonMarksSeen(t *testing.T) {
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
		deps := displayDeps{store: st, listen: ":8080", synced: func() bool { return true },
			button: func(ctx context.Context, pressed func()) error { press <- pressed; <-ctx.Done(); return nil }}
		stop := startDisplay(context.Background(), "png:"+filepath.Join(t.TempDir(), "s.png"),
			displayOptions{addr: "0x3c", size: "128x64"}, deps, slog.New(slog.DiscardHandler))
		(<-press)()
		synctest.Wait()
		if n := st.Stats().New; n != 0 {
			t.Errorf("after a button press %d messages are new, want 0", n)
		}
		stop()
	})
}

// TestDisplayAbsent runs the real I²C path on a machine with no bus.
func TestDisplayAbsent(t *testing.T) {
	if m, _ := filepath.Glob("/dev/i2c-*"); len(m) > 0 {
		t.Skip("this machine has an I2C bus")
	}
	st, err := store.Open(store.Config{Dir: t.TempDir(), MinFree: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var logs bytes.Buffer
	stop := startDisplay(context.Background(), "i2c", displayOptions{addr: "0x3c", size: "128x64"},
		displayDeps{store: st}, slog.New(slog.NewTextHandler(&logs, nil)))
	stop()
	t.Log(logs.String())
	if n := strings.Count(logs.String(), "\n"); n != 1 || !strings.Contains(logs.String(), "display absent") {
		t.Errorf("want one line saying the display is absent, got:\n%s", logs.String())
	}
}

func TestStatusTrouble(t *testing.T) {
	st, err := store.Open(store.Config{Dir: t.TempDir(), MinFree: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Put(testMessage("big")); err != nil {
		t.Fatal(err)
	}
	src := newStatusSource(displayDeps{store: st, listen: "10.0.0.2:80", quota: 1, synced: func() bool { return false }})
	s := src.status()
	if !s.DiskFull || s.Modem != nil || s.ClockSynced || s.Addr != "10.0.0.2:80" || s.Last == nil || s.Last.Sender != "Alice" || s.Last.Subject != "big" {
		t.Errorf("status = %+v", s)
	}
}

func TestPickLAN(t *testing.T) {
	addrs := []net.Addr{
		&net.IPNet{IP: net.ParseIP("127.0.0.1"), Mask: net.CIDRMask(8, 32)},
		&net.IPNet{IP: net.ParseIP("fe80::1"), Mask: net.CIDRMask(64, 128)},
		&net.IPNet{IP: net.ParseIP("203.0.113.5"), Mask: net.CIDRMask(24, 32)},
		&net.IPNet{IP: net.ParseIP("192.168.1.20"), Mask: net.CIDRMask(24, 32)},
	}
	if ip := pickLAN(addrs); !ip.Equal(net.ParseIP("192.168.1.20")) {
		t.Errorf("pickLAN = %v, want the private address", ip)
	}
	if ip := pickLAN(addrs[:3]); !ip.Equal(net.ParseIP("203.0.113.5")) {
		t.Errorf("pickLAN without a private address = %v", ip)
	}
	if got := lanAddress("127.0.0.1:8080"); got != "127.0.0.1:8080" {
		t.Errorf("lanAddress kept a specific host as %q", got)
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
		stop := startDisplay(context.Background(), "png:"+path, displayOptions{addr: "0x3c", size: "128x64"},
			displayDeps{store: st, listen: "192.168.1.20:8080"}, log)
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
