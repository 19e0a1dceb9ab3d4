package main

import (
	"image"
	"sync"

	"github.com/homemmsc/homemmsc/internal/display"
)

// Display states for the metrics.
const (
	displayNone    = "none"    // -display none
	displayAbsent  = "absent"  // configured, but not found at start
	displayOn      = "on"      // the last command to the panel worked
	displayOff     = "off"     // blanked after -display-off-after, or at exit
	displayFailing = "failing" // the last command to the panel failed
)

var displayStates = []string{displayNone, displayAbsent, displayOn, displayOff, displayFailing}

// displayWatch follows what the display loop does to its panel, by
// wrapping the Screen. A nil *displayWatch is valid and stays "none".
type displayWatch struct {
	mu    sync.Mutex
	state string
}

func (w *displayWatch) set(s string) {
	if w == nil {
		return
	}
	w.mu.Lock()
	w.state = s
	w.mu.Unlock()
}

// State is the display's state, one of displayStates.
func (w *displayWatch) State() string {
	if w == nil {
		return displayNone
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.state == "" {
		return displayNone
	}
	return w.state
}

// wrap returns s reporting to w; with a nil w, s itself.
func (w *displayWatch) wrap(s display.Screen) display.Screen {
	if w == nil {
		return s
	}
	w.set(displayOn)
	return &watchedScreen{Screen: s, w: w}
}

// wrapReopen wraps the screens reopen returns; nil stays nil.
func (w *displayWatch) wrapReopen(reopen func() (display.Screen, error)) func() (display.Screen, error) {
	if w == nil || reopen == nil {
		return reopen
	}
	return func() (display.Screen, error) {
		s, err := reopen()
		if err != nil {
			w.set(displayFailing)
			return nil, err
		}
		return w.wrap(s), nil
	}
}

type watchedScreen struct {
	display.Screen
	w *displayWatch
}

func (s *watchedScreen) result(err error, ok string) error {
	if err != nil {
		s.w.set(displayFailing)
	} else {
		s.w.set(ok)
	}
	return err
}

func (s *watchedScreen) Draw(r image.Rectangle, src image.Image, sp image.Point) error {
	return s.result(s.Screen.Draw(r, src, sp), displayOn)
}

func (s *watchedScreen) SetContrast(level byte) error {
	return s.result(s.Screen.SetContrast(level), displayOn)
}

func (s *watchedScreen) Halt() error { return s.result(s.Screen.Halt(), displayOff) }
