package display

import (
	"bytes"
	"context"
	"image"
	"log/slog"
	"time"

	"periph.io/x/devices/v3/ssd1306/image1bit"
)

// Config configures the drawing loop. Screen and Status are required; the
// zero value of every other field works.
type Config struct {
	Screen Screen        // where frames go
	Status func() Status // a fresh snapshot; called from the drawing goroutine
	Press  func()        // the button was pressed, e.g. mark everything seen; may be nil
	// Reopen initialises the panel afresh after it stopped answering (a
	// loose wire or a power dip loses its settings); if nil, the loop just
	// retries drawing on the same Screen.
	Reopen func() (Screen, error)

	Now        func() time.Time // if nil, time.Now
	Tick       time.Duration    // how often "5m ago" and the idle timers are checked; if zero, 10s
	DimAfter   time.Duration    // contrast goes down after this long without news; if zero, 1 min; negative: never
	OffAfter   time.Duration    // the panel goes dark after this long; if zero, 30 min; negative: never
	ShiftEvery time.Duration    // the picture moves by a pixel this often (burn-in); if zero, 2 min; negative: never
	Bright     byte             // contrast when awake; if zero, 0xFF
	Dim        byte             // contrast when dimmed; if zero, 0x10
	Logger     *slog.Logger     // if nil, slog.Default()
}

func (c *Config) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.Tick, 10*time.Second)
	def(&c.DimAfter, time.Minute)
	def(&c.OffAfter, 30*time.Minute)
	def(&c.ShiftEvery, 2*time.Minute)
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Bright == 0 {
		c.Bright = 0xFF
	}
	if c.Dim == 0 {
		c.Dim = 0x10
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Loop owns a Screen: its Run is the one goroutine that draws. Changed,
// Wake and Pressed may be called from any goroutine and never block.
type Loop struct {
	cfg     Config
	changed chan struct{}
	wake    chan struct{}
	press   chan struct{}
}

// New returns a Loop; nothing is drawn until Run.
func New(cfg Config) *Loop {
	cfg.defaults()
	return &Loop{
		cfg:     cfg,
		changed: make(chan struct{}, 1),
		wake:    make(chan struct{}, 1),
		press:   make(chan struct{}, 1),
	}
}

// Changed tells the loop that the status may have changed: it redraws if
// the picture differs. More new messages or new trouble also wake the panel.
func (l *Loop) Changed() { signal(l.changed) }

// Wake turns the panel on at full contrast and restarts the idle timers.
func (l *Loop) Wake() { signal(l.wake) }

// Pressed reports a button press: Wake, then Config.Press.
func (l *Loop) Pressed() { signal(l.press) }

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// state is what the drawing goroutine remembers between frames.
type state struct {
	screen     Screen
	start      time.Time
	lastActive time.Time
	dimmed     bool
	off        bool
	shown      []byte // the last frame drawn; nil forces a draw
	news       int    // New and len(trouble) at the last frame, to spot arrivals
	troubles   int
	failing    bool // the last Draw failed (logged once per streak)
}

// Run draws until ctx is done, then blanks the panel and returns nil.
func (l *Loop) Run(ctx context.Context) error {
	now := l.cfg.Now()
	s := &state{screen: l.cfg.Screen, start: now, lastActive: now, news: -1}
	l.setContrast(s, l.cfg.Bright)
	tick := time.NewTicker(l.cfg.Tick)
	defer tick.Stop()
	for {
		l.redraw(s)
		select {
		case <-ctx.Done():
			if err := s.screen.Halt(); err != nil {
				l.cfg.Logger.Warn("display: blanking at exit", "err", err)
			}
			return nil
		case <-l.changed:
		case <-l.wake:
			l.wakeUp(s)
		case <-l.press:
			l.wakeUp(s)
			if l.cfg.Press != nil {
				l.cfg.Press()
			}
		case <-tick.C:
			l.idle(s)
		}
	}
}

// wakeUp brings the panel back to full contrast and restarts the timers.
func (l *Loop) wakeUp(s *state) {
	s.lastActive = l.cfg.Now()
	if s.dimmed || s.off {
		// Any command turns a halted panel back on with its RAM intact, so
		// only a changed picture needs drawing.
		s.off = false
		s.dimmed = false
		l.setContrast(s, l.cfg.Bright)
	}
}

// idle dims and then blanks the panel when nothing has happened for a while.
func (l *Loop) idle(s *state) {
	quiet := l.cfg.Now().Sub(s.lastActive)
	if !s.dimmed && l.cfg.DimAfter > 0 && quiet >= l.cfg.DimAfter {
		s.dimmed = true
		l.setContrast(s, l.cfg.Dim)
	}
	if !s.off && l.cfg.OffAfter > 0 && quiet >= l.cfg.OffAfter {
		s.off = true
		l.report(s, s.screen.Halt())
	}
}

func (l *Loop) setContrast(s *state, level byte) {
	l.report(s, s.screen.SetContrast(level))
}

// redraw renders the status and sends it if it differs from the panel.
func (l *Loop) redraw(s *state) {
	st := l.cfg.Status()
	arrived := s.news >= 0 && (st.New > s.news || len(st.trouble()) > s.troubles)
	s.news, s.troubles = st.New, len(st.trouble())
	if arrived {
		l.wakeUp(s)
	}
	if s.off || !l.reopen(s) {
		return
	}
	frame := shift(Render(st, panelOf(s.screen)), l.offset(s))
	if s.shown != nil && bytes.Equal(frame.Pix, s.shown) {
		return
	}
	err := s.screen.Draw(frame.Rect, frame, image.Point{})
	l.report(s, err)
	if err == nil {
		s.shown = frame.Pix
	}
}

// reopen replaces a panel that stopped answering with a freshly
// initialised one, and reports whether there is a panel to draw on.
func (l *Loop) reopen(s *state) bool {
	if !s.failing || l.cfg.Reopen == nil {
		return true
	}
	screen, err := l.cfg.Reopen()
	if err != nil {
		l.report(s, err)
		return false
	}
	s.screen, s.shown = screen, nil
	level := l.cfg.Bright
	if s.dimmed {
		level = l.cfg.Dim
	}
	l.setContrast(s, level)
	return !s.failing
}

// report logs the first error of a streak of failures.
func (l *Loop) report(s *state, err error) {
	switch {
	case err != nil && !s.failing:
		l.cfg.Logger.Error("display: panel not responding", "screen", s.screen.String(), "err", err)
	case err == nil && s.failing:
		l.cfg.Logger.Info("display: panel responding again", "screen", s.screen.String())
	}
	s.failing = err != nil
}

// offset walks the picture round a 2×2 square, one step every ShiftEvery.
func (l *Loop) offset(s *state) image.Point {
	if l.cfg.ShiftEvery < 0 {
		return image.Point{}
	}
	step := int(l.cfg.Now().Sub(s.start)/l.cfg.ShiftEvery) % 4
	if step < 0 { // the clock was set back
		step = 0
	}
	return []image.Point{{0, 0}, {1, 0}, {1, 1}, {0, 1}}[step]
}

func panelOf(s Screen) Panel {
	if s.Bounds().Dy() == 32 {
		return Panel128x32
	}
	return Panel128x64
}

// shift moves img by off, dropping what falls off the edge.
func shift(img *image1bit.VerticalLSB, off image.Point) *image1bit.VerticalLSB {
	if off == (image.Point{}) {
		return img
	}
	out := image1bit.NewVerticalLSB(img.Rect)
	for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
		for x := img.Rect.Min.X; x < img.Rect.Max.X; x++ {
			if img.BitAt(x, y) {
				out.SetBit(x+off.X, y+off.Y, image1bit.On)
			}
		}
	}
	return out
}
