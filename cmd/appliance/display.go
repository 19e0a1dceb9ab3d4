package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"time"

	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/i2c/i2creg"
	"periph.io/x/host/v3"

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

// addrOf is a listener's address, "" without one (-lan off).
func addrOf(l net.Listener) string {
	if l == nil {
		return ""
	}
	return l.Addr().String()
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
	screen, reopen, release, err := openScreen(ds, d)
	if err != nil {
		log.Warn("display absent; running without it", "display", spec, "err", err)
		deps.watch.Set(display.StateAbsent)
		return func() {}
	}
	screen, reopen = deps.watch.Wrap(screen), deps.watch.WrapReopen(reopen)
	if d.button != "" && deps.button == nil {
		deps.button, err = gpioButton(d.button)
		if err != nil {
			log.Warn("display: no button", "err", err)
		}
	}
	log.Info("display: started", "screen", screen.String(), "size", ds.Driver.Panel.String())
	stopFollow := display.Follow(ctx, display.FollowConfig{
		Screen: screen, Reopen: reopen, Source: display.NewSource(deps.source),
		OffAfter: d.offAfter, Button: deps.button, Logger: log,
	})
	return func() { stopFollow(); release() }
}

// openScreen opens the panel (or PNG file) and returns how to initialise
// it again after it stopped answering (nil for PNG) and how to release it.
func openScreen(ds display.Spec, d displayOptions) (screen display.Screen, reopen func() (display.Screen, error), release func(), err error) {
	if ds.Kind == "png" {
		return display.NewPNGWriter(ds.Path, ds.Driver.Panel), nil, func() {}, nil
	}
	if _, err := host.Init(); err != nil {
		return nil, nil, nil, fmt.Errorf("periph host: %w", err)
	}
	if d.bus == "" && len(i2creg.All()) == 0 {
		return nil, nil, nil, errors.New("no I2C bus (on a Raspberry Pi: dtparam=i2c_arm=on in config.txt)")
	}
	bus, err := i2creg.Open(d.bus)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("I2C bus %q: %w", d.bus, err)
	}
	reopen = func() (display.Screen, error) { return display.OpenI2C(bus, ds.Driver) }
	if screen, err = reopen(); err != nil {
		bus.Close()
		return nil, nil, nil, err
	}
	return screen, reopen, func() { bus.Close() }, nil
}

// gpioButton finds the button's pin (host.Init may run twice: it is idempotent).
func gpioButton(name string) (func(context.Context, func()) error, error) {
	if _, err := host.Init(); err != nil {
		return nil, err
	}
	pin := gpioreg.ByName(name)
	if pin == nil {
		return nil, fmt.Errorf("-display-button: no GPIO named %q", name)
	}
	return func(ctx context.Context, press func()) error {
		return display.WatchButton(ctx, pin, time.Now, press)
	}, nil
}
