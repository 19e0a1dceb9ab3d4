package display

import (
	"context"
	"fmt"
	"time"

	"periph.io/x/conn/v3/gpio"
)

// ButtonPin is the part of periph's gpio.PinIn a push button needs.
type ButtonPin interface {
	In(pull gpio.Pull, edge gpio.Edge) error
	WaitForEdge(timeout time.Duration) bool
	Read() gpio.Level
}

// debounce ignores contact bounce: presses closer together than this are one.
const debounce = 300 * time.Millisecond

// WatchButton calls press each time a button between pin and ground is
// pressed, until ctx is done. The pin's internal pull-up holds it high.
func WatchButton(ctx context.Context, pin ButtonPin, now func() time.Time, press func()) error {
	if err := pin.In(gpio.PullUp, gpio.FallingEdge); err != nil {
		return fmt.Errorf("display: button pin: %w", err)
	}
	var last time.Time
	for ctx.Err() == nil {
		if !pin.WaitForEdge(time.Second) || pin.Read() != gpio.Low {
			continue
		}
		if t := now(); last.IsZero() || t.Sub(last) >= debounce {
			last = t
			press()
		}
	}
	return nil
}
