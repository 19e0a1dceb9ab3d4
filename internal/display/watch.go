package display

import (
	"image"
	"sync"
)

// Panel states, as a Watch reports them for the metrics and the status page.
const (
	StateNone    = "none"    // -display none
	StateAbsent  = "absent"  // configured, but not found at start
	StateOn      = "on"      // the last command to the panel worked
	StateOff     = "off"     // blanked after -display-off-after, or at exit
	StateFailing = "failing" // the last command to the panel failed
)

// States lists every state, for a metric that has one series per state.
var States = []string{StateNone, StateAbsent, StateOn, StateOff, StateFailing}

// Watch follows what the display loop does to its panel, by wrapping the
// Screen. A nil *Watch is valid and stays "none".
type Watch struct {
	mu    sync.Mutex
	state string
}

// Set records a state the loop cannot see (StateAbsent at start).
func (w *Watch) Set(s string) {
	if w == nil {
		return
	}
	w.mu.Lock()
	w.state = s
	w.mu.Unlock()
}

// State is the display's state, one of States.
func (w *Watch) State() string {
	if w == nil {
		return StateNone
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.state == "" {
		return StateNone
	}
	return w.state
}

// Wrap returns s reporting to w; with a nil w, s itself.
func (w *Watch) Wrap(s Screen) Screen {
	if w == nil {
		return s
	}
	w.Set(StateOn)
	return &watchedScreen{Screen: s, w: w}
}

// WrapReopen wraps the screens reopen returns; nil stays nil.
func (w *Watch) WrapReopen(reopen func() (Screen, error)) func() (Screen, error) {
	if w == nil || reopen == nil {
		return reopen
	}
	return func() (Screen, error) {
		s, err := reopen()
		if err != nil {
			w.Set(StateFailing)
			return nil, err
		}
		return w.Wrap(s), nil
	}
}

type watchedScreen struct {
	Screen
	w *Watch
}

func (s *watchedScreen) result(err error, ok string) error {
	if err != nil {
		s.w.Set(StateFailing)
	} else {
		s.w.Set(ok)
	}
	return err
}

func (s *watchedScreen) Draw(r image.Rectangle, src image.Image, sp image.Point) error {
	return s.result(s.Screen.Draw(r, src, sp), StateOn)
}

func (s *watchedScreen) SetContrast(level byte) error {
	return s.result(s.Screen.SetContrast(level), StateOn)
}

func (s *watchedScreen) Halt() error { return s.result(s.Screen.Halt(), StateOff) }
