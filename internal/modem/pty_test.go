package modem_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/modem"
	"github.com/homemmsc/homemmsc/internal/modem/modemtest"
	"github.com/homemmsc/homemmsc/internal/modem/ownersms"
	"github.com/homemmsc/homemmsc/internal/modem/serialport"
	"github.com/homemmsc/homemmsc/internal/outbox"
)

type appliance struct {
	dev    *modem.Device
	notify *ownersms.Notifier
	stop   func()
}

func startAppliance(t *testing.T, link, dir string) *appliance {
	t.Helper()
	dev := modem.NewDevice(modem.DeviceConfig{
		Path: link, Open: serialport.Open,
		MinBackoff: 50 * time.Millisecond, MaxBackoff: 500 * time.Millisecond,
		Session: modem.Config{Timeout: 2 * time.Second, SMSTimeout: 5 * time.Second},
	})
	box, err := outbox.Open(outbox.Config{Dir: dir,
		MinSpacing: 10 * time.Millisecond, MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	n, err := ownersms.Open(ownersms.Config{Dir: dir, Owners: []string{"+15550001111"}, InboxURL: "http://mms.lan/", Outbox: box}, dev)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { dev.Run(ctx) })
	wg.Go(func() { n.Run(ctx) })
	wg.Go(func() { box.Run(ctx); box.Close() })
	return &appliance{dev: dev, notify: n, stop: func() { cancel(); wg.Wait() }}
}

func item(i int) ownersms.Item {
	return ownersms.Item{ID: fmt.Sprintf("msg%d", i), From: fmt.Sprintf("Phone %d", i), Subject: "Hello", Parts: []string{"image/jpeg", "text/plain"}, Size: 45_000}
}

// Unplug and re-plug in the middle of sends, on the real serial code:
// every notification reaches the modem, none twice.
func TestPtyUnplugDuringSend(t *testing.T) {
	m := modemtest.New(t)
	m.UnplugAt(2, "pdu")
	m.UnplugAt(4, "prompt")
	a := startAppliance(t, m.Link(), t.TempDir())
	defer a.stop()
	for i := 1; i <= 4; i++ {
		if err := a.notify.Add(item(i)); err != nil {
			t.Fatal(err)
		}
		m.WaitTexts(t, i)
	}
	got := m.WaitTexts(t, 4)
	for i := 1; i <= 4; i++ {
		want := fmt.Sprintf(`+15550001111: MMS from Phone %d: "Hello" - 1 photo, 1 text, 45 kB http://mms.lan/`, i)
		if got[i-1] != want {
			t.Errorf("text %d: %q, want %q", i, got[i-1], want)
		}
	}
	if len(got) != 4 {
		t.Errorf("modem accepted %d texts, want 4: %q", len(got), got)
	}
	cmgs, bad := m.CMGS(), m.Bad()
	if cmgs != 6 {
		t.Errorf("%d AT+CMGS, want 6 (two cut by the unplug, four accepted)", cmgs)
	}
	if bad != nil {
		t.Errorf("PDUs the modem would reject with +CMS ERROR: 304: %q", bad)
	}
	if st := a.dev.Status(); !st.Present || !st.Registered || st.Operator != "Fake Net" || st.Signal != 20 {
		t.Errorf("status %+v", st)
	}
}

// A restart of the appliance while the modem is away loses nothing: the
// outbox on disk is sent when both are back.
func TestPtyRestartWithQueuedNotification(t *testing.T) {
	m := modemtest.New(t)
	dir := t.TempDir()
	m.Unplug()
	a := startAppliance(t, m.Link(), dir)
	if err := a.notify.Add(item(7)); err != nil {
		t.Fatal(err)
	}
	a.stop()
	m.Plug()
	b := startAppliance(t, m.Link(), dir)
	defer b.stop()
	got := m.WaitTexts(t, 1)
	if len(got) != 1 || !strings.Contains(got[0], "Phone 7") {
		t.Errorf("after restart: %q", got)
	}
}
