package main

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/display"
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
