package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/homemmsc/homemmsc/internal/display"
)

// displayOptions are the -display-* flags; -display itself is in main.
type displayOptions struct {
	bus      string        // I²C bus name or number; "" = the first one
	addr     string        // "0x3c" or "0x3d"
	size     string        // "128x64" or "128x32"
	rotate   int           // 0 or 180
	offAfter time.Duration // 0 = never
	button   string        // GPIO name, e.g. GPIO17; "" = no button
}

// register declares the -display-* flags on fs.
func (d *displayOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&d.bus, "display-bus", "", "I2C bus of the display, e.g. 1 or /dev/i2c-1 (empty = first bus)")
	fs.StringVar(&d.addr, "display-addr", "0x3c", "I2C address of the display: 0x3c or 0x3d")
	fs.StringVar(&d.size, "display-size", "128x64", "display size: 128x64 or 128x32")
	fs.IntVar(&d.rotate, "display-rotate", 0, "display rotation: 0 or 180")
	fs.DurationVar(&d.offAfter, "display-off-after", 30*time.Minute, "turn the display off after this long without news (0 = never)")
	fs.StringVar(&d.button, "display-button", "", "GPIO of a push button to ground that wakes the display and marks all seen, e.g. GPIO17")
}

// parseDisplay reads -display and the -display-* flags.
func parseDisplay(spec string, d displayOptions) (display.Spec, error) {
	if d.offAfter < 0 {
		return display.Spec{Kind: "none"}, fmt.Errorf("-display-off-after %v: negative", d.offAfter)
	}
	return display.ParseSpec(spec, d.addr, d.size, d.rotate)
}

// displayDeps is what the display shows, passed in so tests can fake it.
type displayDeps struct {
	source display.SourceConfig
	button func(context.Context, func()) error // if nil, the -display-button GPIO, if any
	watch  *display.Watch                      // if set, follows the panel's state for /metrics
}

// startDisplay starts the display described by spec and d and returns a
// stop function that blanks it and releases the hardware. With no display
// configured, or none found, it logs one line and everything else goes on.
func startDisplay(ctx context.Context, spec string, d displayOptions, deps displayDeps, log *slog.Logger) (stop func()) {
	ds, err := parseDisplay(spec, d)
	if err != nil { // parseOptions checked; keep going without a display
		log.Error("display: "+err.Error(), "display", spec)
		return func() {}
	}
	if ds.Kind == "none" {
		return func() {}
	}
	return display.Start(ctx, display.StartConfig{Name: spec, Spec: ds, Bus: d.bus, GPIO: d.button, Button: deps.button,
		Watch: deps.watch, Source: deps.source, OffAfter: d.offAfter, Logger: log})
}
