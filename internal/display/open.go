package display

import (
	"context"
	"errors"
	"fmt"
	"time"

	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/i2c/i2creg"
	"periph.io/x/host/v3"
)

// Open opens the panel (or PNG file) ds describes, on the I²C bus named
// bus ("" = the first one), and returns how to initialise it again after
// it stopped answering (nil for PNG) and how to release it.
func Open(ds Spec, bus string) (screen Screen, reopen func() (Screen, error), release func(), err error) {
	if ds.Kind == "png" {
		return NewPNGWriter(ds.Path, ds.Driver.Panel), nil, func() {}, nil
	}
	if _, err := host.Init(); err != nil {
		return nil, nil, nil, fmt.Errorf("periph host: %w", err)
	}
	if bus == "" && len(i2creg.All()) == 0 {
		return nil, nil, nil, errors.New("no I2C bus (on a Raspberry Pi: dtparam=i2c_arm=on in config.txt)")
	}
	b, err := i2creg.Open(bus)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("I2C bus %q: %w", bus, err)
	}
	reopen = func() (Screen, error) { return OpenI2C(b, ds.Driver) }
	if screen, err = reopen(); err != nil {
		b.Close()
		return nil, nil, nil, err
	}
	return screen, reopen, func() { b.Close() }, nil
}

// GPIOButton finds the button's pin by name, e.g. GPIO17, and returns
// WatchButton on it (host.Init may run twice: it is idempotent).
func GPIOButton(name string) (func(context.Context, func()) error, error) {
	if _, err := host.Init(); err != nil {
		return nil, err
	}
	pin := gpioreg.ByName(name)
	if pin == nil {
		return nil, fmt.Errorf("-display-button: no GPIO named %q", name)
	}
	return func(ctx context.Context, press func()) error {
		return WatchButton(ctx, pin, time.Now, press)
	}, nil
}
