package main

import (
	"bytes"
	"context"
	"image/color"
	"image/png"
	"log/slog"
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
		if err != nil || got.Kind != tt.kind || got.Driver != tt.want {
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
		displayDeps{source: display.SourceConfig{Store: st}}, slog.New(slog.NewTextHandler(&logs, nil)))
	stop()
	t.Log(logs.String())
	if n := strings.Count(logs.String(), "\n"); n != 1 || !strings.Contains(logs.String(), "display absent") {
		t.Errorf("want one line saying the display is absent, got:\n%s", logs.String())
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
			displayDeps{source: display.SourceConfig{Store: st, Listen: "192.168.1.20:8080"}}, log)
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
