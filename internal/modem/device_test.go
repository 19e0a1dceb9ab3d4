package modem

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/homemmsc/homemmsc/internal/modem/at/attest"
	"github.com/homemmsc/homemmsc/internal/modem/sms"
)

// ports hands out playbacks to Device.Open in order, then ENODEV.
type ports struct {
	list   []*attest.Playback
	opened int
}

func (p *ports) open(string) (io.ReadWriteCloser, error) {
	if p.opened >= len(p.list) {
		p.opened++
		return nil, syscall.ENODEV
	}
	p.opened++
	return p.list[p.opened-1], nil
}

func (p *ports) verify(t *testing.T) {
	t.Helper()
	for i, pb := range p.list {
		if err := pb.Close(); err != nil {
			t.Errorf("port %d: %v", i, err)
		}
	}
}

func testPDU(t *testing.T) sms.PDU {
	t.Helper()
	pdus, err := sms.Encode(sms.Message{To: "+15557654321", Text: "hellohello"})
	if err != nil {
		t.Fatal(err)
	}
	return pdus[0]
}

// runDevice starts d.Run and returns a stop function that waits for it.
func runDevice(d *Device) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	return func() { cancel(); <-done }
}

// The modem vanishes after the PDU went out; the device reopens it and
// the next send goes through the new session.
func TestDeviceUnplugMidSend(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := testPDU(t)
		first := attest.New(append(startSteps(), ex("AT+CMGS=22\r", "\r\n> "), ex(p.Hex()+"\x1a", ""))...)
		second := attest.New(append(startSteps(), ex("AT+CMGS=22\r", "\r\n> "), ex(p.Hex()+"\x1a", reply("+CMGS: 5", "OK")))...)
		ps := &ports{list: []*attest.Playback{first, second}}
		d := NewDevice(DeviceConfig{Path: "/dev/serial/by-id/usb-modem-if00-port0", Open: ps.open})
		ready := d.Ready()
		stop := runDevice(d)
		<-ready
		if st := d.Status(); !st.Present || st.Device != "/dev/serial/by-id/usb-modem-if00-port0" {
			t.Errorf("status %+v", st)
		}
		go func() { synctest.Wait(); first.Unplug() }()
		ready = d.Ready()
		if _, err := d.Send(context.Background(), p); !Gone(err) || !Temporary(err) {
			t.Fatalf("send during unplug: %v, want a temporary port-gone error", err)
		}
		synctest.Wait()
		if st := d.Status(); st.Present || st.LastError == "" {
			t.Errorf("status while unplugged: %+v", st)
		}
		<-ready
		if mr, err := d.Send(context.Background(), p); err != nil || mr != 5 {
			t.Errorf("send after re-plug: %d, %v", mr, err)
		}
		stop()
		ps.verify(t)
	})
}

func TestDeviceAbsent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ps := &ports{}
		d := NewDevice(DeviceConfig{Path: "/dev/ttyUSB0", Open: ps.open})
		stop := runDevice(d)
		time.Sleep(10 * time.Second) // the bubble's clock: back-off 1 s, 2 s, 4 s …
		if _, err := d.Send(context.Background(), testPDU(t)); !errors.Is(err, ErrAbsent) || !Temporary(err) {
			t.Errorf("send without modem: %v", err)
		}
		if st := d.Status(); st.Present || st.Reg != "no modem" || st.LastError == "" {
			t.Errorf("status %+v", st)
		}
		stop()
		if ps.opened != 4 {
			t.Errorf("opened %d times; want retries with back-off", ps.opened)
		}
	})
}

// A rejected PIN stops all further attempts: the SIM locks after three.
func TestDeviceWrongPINStops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		steps := startSteps(
			ex("AT+CPIN?\r", reply("+CPIN: SIM PIN", "OK")),
			ex("AT+CPIN=\"0000\"\r", reply("+CME ERROR: 16")),
		)[:5]
		ps := &ports{list: []*attest.Playback{attest.New(steps...)}}
		d := NewDevice(DeviceConfig{Path: "/dev/ttyUSB0", Open: ps.open, Session: Config{PIN: "0000"}})
		stop := runDevice(d)
		synctest.Wait()
		stop()
		if ps.opened != 1 {
			t.Errorf("opened %d times after a wrong PIN, want 1", ps.opened)
		}
		if st := d.Status(); !strings.Contains(st.LastError, ErrPINRejected.Error()) {
			t.Errorf("status %+v", st)
		}
		ps.verify(t)
	})
}

// "auto" probes the candidates in order and keeps the first that starts.
func TestDeviceAuto(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		silent := attest.New(ex("AT\r", ""), ex("AT\r", ""), ex("AT\r", ""))
		good := attest.New(startSteps()...)
		ps := &ports{list: []*attest.Playback{silent, good}}
		d := NewDevice(DeviceConfig{Path: "auto", Open: ps.open,
			Candidates: func() []string { return []string{"/dev/ttyUSB0", "/dev/ttyUSB2"} }})
		ready := d.Ready()
		stop := runDevice(d)
		<-ready
		if st := d.Status(); st.Device != "/dev/ttyUSB2" {
			t.Errorf("chose %q", st.Device)
		}
		stop()
		ps.verify(t)
	})
}

// A modem that stops answering (two health pings without a reply) is
// closed and opened again.
func TestDeviceSilentPortReopened(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		first := attest.New(append(startSteps(), ex("AT\r", ""), ex("AT\r", ""))...)
		second := attest.New(startSteps()...)
		ps := &ports{list: []*attest.Playback{first, second}}
		d := NewDevice(DeviceConfig{Path: "/dev/ttyUSB0", Open: ps.open})
		ready := d.Ready()
		stop := runDevice(d)
		<-ready
		ready = d.Ready()
		start := time.Now()
		<-ready
		if waited := time.Since(start); waited < time.Minute {
			t.Errorf("reopened after %v, before the first health check", waited)
		}
		stop()
		if ps.opened != 2 {
			t.Errorf("opened %d times, want 2", ps.opened)
		}
		ps.verify(t)
	})
}

// Send is safe for concurrent callers (the owner notifier and the WAP
// pusher share one Device): each AT+CMGS exchange is whole. The strict
// playback fails on a command written where it expects a PDU.
func TestDeviceConcurrentSends(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := testPDU(t)
		const n = 8
		steps := startSteps()
		for i := range n {
			steps = append(steps, ex("AT+CMGS=22\r", "\r\n> "), ex(p.Hex()+"\x1a", reply("+CMGS: "+strconv.Itoa(i), "OK")))
		}
		ps := &ports{list: []*attest.Playback{attest.New(steps...)}}
		d := NewDevice(DeviceConfig{Path: "/dev/ttyUSB0", Open: ps.open})
		ready := d.Ready()
		stop := runDevice(d)
		<-ready
		var wg sync.WaitGroup
		seen := make(chan int, n)
		for range n {
			wg.Go(func() {
				mr, err := d.Send(context.Background(), p)
				if err != nil {
					t.Errorf("concurrent send: %v", err)
				}
				seen <- mr
			})
		}
		wg.Wait()
		close(seen)
		refs := map[int]bool{}
		for mr := range seen {
			refs[mr] = true
		}
		if len(refs) != n {
			t.Errorf("message references %v: want %d distinct, one per exchange", refs, n)
		}
		stop()
		ps.verify(t)
	})
}
