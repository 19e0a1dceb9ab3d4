package display

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/devices/v3/ssd1306/image1bit"
)

// memScreen is an in-memory Screen that records what it was asked to do.
type memScreen struct {
	mu     sync.Mutex
	size   Panel
	ops    []string // "draw", "contrast=N", "halt"
	frames [][]byte
	fail   error
}

func (m *memScreen) String() string { return "mem" }
func (m *memScreen) Bounds() image.Rectangle {
	return image.Rectangle{Max: m.size.Size()}
}
func (m *memScreen) ColorModel() color.Model { return image1bit.BitModel }

func (m *memScreen) Draw(r image.Rectangle, src image.Image, sp image.Point) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	img := src.(*image1bit.VerticalLSB)
	m.ops = append(m.ops, "draw")
	m.frames = append(m.frames, bytes.Clone(img.Pix))
	return nil
}

func (m *memScreen) SetContrast(level byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ops = append(m.ops, fmt.Sprintf("contrast=%d", level))
	return m.fail
}

func (m *memScreen) Halt() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ops = append(m.ops, "halt")
	return m.fail
}

// take returns and forgets the operations so far.
func (m *memScreen) take() (ops []string, frames [][]byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ops, frames = m.ops, m.frames
	m.ops, m.frames = nil, nil
	return ops, frames
}

// statusBox is a Status source the test changes.
type statusBox struct {
	mu sync.Mutex
	st Status
}

func (b *statusBox) get() Status {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.st
	st.Now = time.Now()
	return st
}

func (b *statusBox) set(f func(*Status)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	f(&b.st)
}

// harness runs a Loop inside a synctest bubble, where time only moves when
// every goroutine is blocked: time.Sleep below costs no wall-clock time.
type harness struct {
	t      *testing.T
	screen *memScreen
	box    *statusBox
	loop   *Loop
	cancel context.CancelFunc
	done   chan error
	logs   *strings.Builder
	pushes int
}

func start(t *testing.T, cfg Config) *harness {
	h := &harness{t: t, screen: &memScreen{}, box: &statusBox{st: healthy()}, done: make(chan error, 1), logs: &strings.Builder{}}
	cfg.Screen = h.screen
	cfg.Status = h.box.get
	cfg.Now = time.Now // the bubble's fake clock
	cfg.Logger = slog.New(slog.NewTextHandler(h.logs, nil))
	if cfg.Press == nil {
		cfg.Press = func() { h.pushes++ }
	}
	h.loop = New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- h.loop.Run(ctx) }()
	synctest.Wait()
	return h
}

func (h *harness) stop() {
	h.cancel()
	if err := <-h.done; err != nil {
		h.t.Errorf("Run returned %v", err)
	}
}

func (h *harness) expect(want ...string) [][]byte {
	h.t.Helper()
	synctest.Wait()
	ops, frames := h.screen.take()
	if strings.Join(ops, " ") != strings.Join(want, " ") {
		h.t.Errorf("screen got %q, want %q", ops, want)
	}
	return frames
}

func noShift() Config { return Config{ShiftEvery: -1, DimAfter: -1, OffAfter: -1} }

func TestLoopDrawsOnlyOnChange(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := start(t, noShift())
		frames := h.expect("contrast=255", "draw")
		if want := Render(h.box.get(), Panel128x64).Pix; !bytes.Equal(frames[0], want) {
			t.Error("first frame is not Render of the status")
		}
		h.loop.Changed()
		h.expect() // same picture: nothing sent
		time.Sleep(10 * time.Second)
		h.expect() // a tick with nothing new

		h.box.set(func(s *Status) {
			s.New = 1
			s.Last = &Message{Sender: "Anna", Received: time.Now(), TimeOK: true}
		})
		h.loop.Changed()
		frames = h.expect("draw")
		if want := Render(h.box.get(), Panel128x64).Pix; !bytes.Equal(frames[0], want) {
			t.Error("frame after a change is not Render of the new status")
		}
		time.Sleep(60 * time.Second) // "now" becomes "1m ago" at a tick
		h.expect("draw")
		h.stop()
		h.expect("halt")
	})
}

func TestLoopDimsBlanksAndWakes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := start(t, Config{ShiftEvery: -1, DimAfter: time.Minute, OffAfter: 5 * time.Minute, Dim: 7})
		h.expect("contrast=255", "draw")
		time.Sleep(time.Minute)
		h.expect("contrast=7")
		time.Sleep(4 * time.Minute)
		h.expect("halt")

		// Dark: changes are not drawn...
		h.box.set(func(s *Status) { s.FreeBytes = 1 << 30 })
		h.loop.Changed()
		h.expect()
		// ...until a message arrives.
		h.box.set(func(s *Status) { s.New = 1; s.Last = &Message{Sender: "Bo", Received: time.Now(), TimeOK: true} })
		h.loop.Changed()
		h.expect("contrast=255", "draw")

		// Seen elsewhere (count goes down): redrawn, not a wake-up.
		time.Sleep(2 * time.Minute)
		h.expect("contrast=7", "draw", "draw") // dim and "1m ago" at 1 min, "2m ago"
		h.box.set(func(s *Status) { s.New = 0 })
		h.loop.Changed()
		h.expect("draw")
		h.stop()
	})
}

func TestLoopTroubleWakes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := start(t, Config{ShiftEvery: -1, DimAfter: time.Minute, OffAfter: 2 * time.Minute})
		h.expect("contrast=255", "draw")
		time.Sleep(2 * time.Minute)
		h.expect("contrast=16", "halt")
		h.box.set(func(s *Status) { s.DiskFull = true })
		h.loop.Changed()
		h.expect("contrast=255", "draw")
		h.stop()
	})
}

func TestLoopButton(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := start(t, Config{ShiftEvery: -1, DimAfter: time.Minute, OffAfter: -1})
		h.expect("contrast=255", "draw")
		time.Sleep(time.Minute)
		h.expect("contrast=16")
		h.loop.Pressed()
		h.expect("contrast=255")
		if h.pushes != 1 {
			t.Errorf("Press called %d times, want 1", h.pushes)
		}
		h.stop()
	})
}

func TestLoopShiftsPixels(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := start(t, Config{ShiftEvery: time.Minute, Tick: time.Minute, DimAfter: -1, OffAfter: -1})
		first := h.expect("contrast=255", "draw")[0]
		base := Render(h.box.get(), Panel128x64)
		for i, off := range []image.Point{{1, 0}, {1, 1}, {0, 1}, {0, 0}} {
			time.Sleep(time.Minute)
			got := h.expect("draw")[0]
			if want := shift(base, off).Pix; !bytes.Equal(got, want) {
				t.Errorf("step %d: frame is not shifted by %v", i+1, off)
			}
		}
		if !bytes.Equal(first, base.Pix) {
			t.Error("first frame is shifted")
		}
		h.stop()
	})
}

func TestLoopLogsFailureOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := start(t, noShift())
		h.expect("contrast=255", "draw")
		h.screen.mu.Lock()
		h.screen.fail = errors.New("i2c: nack")
		h.screen.mu.Unlock()
		for i := 0; i < 3; i++ {
			h.box.set(func(s *Status) { s.New++ })
			h.loop.Changed()
			synctest.Wait()
		}
		if n := strings.Count(h.logs.String(), "panel not responding"); n != 1 {
			t.Errorf("logged the failure %d times, want once:\n%s", n, h.logs)
		}
		h.screen.mu.Lock()
		h.screen.fail = nil
		h.screen.mu.Unlock()
		h.loop.Changed()
		h.expect("draw") // the frame that failed is sent again
		if !strings.Contains(h.logs.String(), "responding again") {
			t.Error("recovery not logged")
		}
		h.stop()
	})
}

// fakePin is a button pin fed from a channel of levels.
type fakePin struct {
	pull  gpio.Pull
	edges chan gpio.Level
	level gpio.Level
}

func (p *fakePin) In(pull gpio.Pull, edge gpio.Edge) error { p.pull = pull; return nil }
func (p *fakePin) Read() gpio.Level                        { return p.level }
func (p *fakePin) WaitForEdge(d time.Duration) bool {
	select {
	case p.level = <-p.edges:
		return true
	case <-time.After(d):
		return false
	}
}

func TestWatchButtonDebounces(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pin := &fakePin{edges: make(chan gpio.Level)}
		presses := 0
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- WatchButton(ctx, pin, time.Now, func() { presses++ }) }()
		for _, l := range []gpio.Level{gpio.Low, gpio.Low, gpio.High, gpio.Low} { // one press, bouncing
			pin.edges <- l
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(time.Second)
		pin.edges <- gpio.Low // a second press
		synctest.Wait()
		if presses != 2 {
			t.Errorf("%d presses, want 2", presses)
		}
		if pin.pull != gpio.PullUp {
			t.Errorf("pull %v, want up", pin.pull)
		}
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
}

func TestLoopReopensPanelAfterFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fresh := &memScreen{}
		reopens := 0
		cfg := Config{ShiftEvery: -1, DimAfter: time.Minute, OffAfter: -1, Dim: 9}
		cfg.Reopen = func() (Screen, error) {
			reopens++
			if reopens == 1 {
				return nil, errors.New("i2c: nack")
			}
			return fresh, nil
		}
		h := start(t, cfg)
		h.expect("contrast=255", "draw")
		time.Sleep(time.Minute)
		h.expect("contrast=9")

		h.screen.mu.Lock()
		h.screen.fail = errors.New("i2c: nack") // the panel lost power
		h.screen.mu.Unlock()
		h.box.set(func(s *Status) { s.FreeBytes = 1 << 30 })
		h.loop.Changed()
		synctest.Wait()
		h.loop.Changed() // first Reopen fails: nothing drawn
		synctest.Wait()
		if reopens != 1 {
			t.Fatalf("Reopen called %d times, want 1", reopens)
		}
		h.loop.Changed() // second Reopen works: the new panel gets everything
		synctest.Wait()
		if ops, _ := fresh.take(); strings.Join(ops, " ") != "contrast=9 draw" {
			t.Errorf("reopened panel got %q, want the dimmed contrast and a frame", ops)
		}
		h.loop.Changed()
		synctest.Wait()
		if ops, _ := fresh.take(); len(ops) != 0 || reopens != 2 {
			t.Errorf("after recovery: %q, %d reopens", ops, reopens)
		}
		h.stop()
	})
}
