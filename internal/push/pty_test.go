package push_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"sync"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/modem"
	"github.com/homemmsc/homemmsc/internal/modem/modemtest"
	"github.com/homemmsc/homemmsc/internal/modem/serialport"
	"github.com/homemmsc/homemmsc/internal/modem/sms/smstest"
	"github.com/homemmsc/homemmsc/internal/push"
)

// startDevice runs a modem device on the fake pty modem and waits until
// it is ready to send.
func startDevice(t *testing.T, m *modemtest.Pty) *modem.Device {
	t.Helper()
	dev := modem.NewDevice(modem.DeviceConfig{
		Path: m.Link(), Open: serialport.Open,
		Session: modem.Config{Timeout: 2 * time.Second, SMSTimeout: 5 * time.Second},
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	ready := dev.Ready()
	go func() { dev.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-ready:
	case <-time.After(30 * time.Second): // a guard against a hang only
		t.Fatal("the fake modem did not start")
	}
	return dev
}

// Pushes and a text, sent at once from several goroutines through the
// real serial code, reach the modem whole; the fake modem's captured PDUs
// are reassembled by libGammu into MMS indicators with our URL, size and
// sender.
func TestPtyPushes(t *testing.T) {
	m := modemtest.New(t)
	p := push.New(startDevice(t, m), push.Config{})
	short := notification(t, "T-short", "http://192.0.2.10:8080/m/AbCdEfGhIjKlMnOpQrStUv")
	long := notification(t, "T-long", "http://mms.example.org/retrieve/"+hex.EncodeToString(make([]byte, 48)))
	const b, text = "+15557654321", "MMS from +15551234567: http://192.0.2.10:8080/m/AbCdEfGhIjKlMnOpQrStUv"
	var wg sync.WaitGroup
	for _, f := range []func() error{
		func() error { return p.Push(context.Background(), b, short) },
		func() error { return p.Push(context.Background(), b, long) },
		func() error { return p.Text(context.Background(), b, text) },
	} {
		wg.Go(func() {
			if err := f(); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if bad := m.Bad(); len(bad) > 0 {
		t.Fatalf("the modem refused PDUs: %q", bad)
	}
	pushes := m.WaitPushes(t, 2)
	bodies := map[string][]byte{"T-short": short, "T-long": long}
	var groups [][]string
	for _, ps := range pushes {
		n, err := mms.Decode(ps.Body)
		if err != nil || ps.To != b || !bytes.Equal(ps.Body, bodies[n.TransactionID]) {
			t.Fatalf("push to %s: %v % X", ps.To, err, ps.Body)
		}
		var g []string
		for _, pdu := range ps.PDUs {
			g = append(g, hex.EncodeToString(pdu))
		}
		groups = append(groups, g)
	}
	if len(pushes[0].PDUs)+len(pushes[1].PDUs) != 3 {
		t.Errorf("pushes took %d and %d SMS, want 1 and 2", len(pushes[0].PDUs), len(pushes[1].PDUs))
	}
	checkTextArrived(t, m, b, text)
	for i, r := range smstest.Gammu(t, groups) {
		n, _ := mms.Decode(pushes[i].Body)
		checkGammu(t, n, r)
	}
}

func checkTextArrived(t *testing.T, m *modemtest.Pty, to, text string) {
	t.Helper()
	for _, msg := range m.WaitMessages(t, 3) {
		if msg.DstPort == -1 {
			if msg.To != to || msg.Text != text {
				t.Errorf("text to %s: %q", msg.To, msg.Text)
			}
			return
		}
	}
	t.Errorf("the text did not arrive")
}

func checkGammu(t *testing.T, n *mms.Message, r smstest.Result) {
	t.Helper()
	if r.Linked != 1 || r.Info == nil || len(r.Info.Entries) == 0 || r.Info.Entries[0].MMSIndicator == nil {
		t.Fatalf("gammu: %d messages, %+v", r.Linked, r.Info)
	}
	got := r.Info.Entries[0].MMSIndicator
	if got.Address != n.ContentLocation || got.MessageSize != int(n.MessageSize) || got.Sender != n.From.String() {
		t.Errorf("gammu indicator %+v; want %q, %d, %q", got, n.ContentLocation, n.MessageSize, n.From.String())
	}
}

func notification(t *testing.T, tid, url string) []byte {
	t.Helper()
	n := mms.NewNotificationInd(tid, url, 45_000, 7*24*time.Hour)
	n.From = mms.PLMN("+15551234567")
	b, err := push.Notification(n)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A refusal by the network comes back through the real serial code with
// its classification: retry after +CMS ERROR: 500, not after 305; a retry
// sends the whole push again.
func TestPtyRefusals(t *testing.T) {
	m := modemtest.New(t)
	m.RefuseAt(1, 500)
	m.RefuseAt(3, 305)
	p := push.New(startDevice(t, m), push.Config{})
	long := notification(t, "T-long", "http://mms.example.org/retrieve/"+hex.EncodeToString(make([]byte, 48)))
	ctx := context.Background()
	if err := p.Push(ctx, "+15557654321", long); err == nil || !push.Temporary(err) {
		t.Errorf("push refused with 500: %v, want a temporary error", err)
	}
	// The retry: AT+CMGS 2 is part 1, 3 (part 2) is refused for good.
	if err := p.Push(ctx, "+15557654321", long); err == nil || push.Temporary(err) {
		t.Errorf("push refused with 305: %v, want a permanent error", err)
	}
	if err := p.Push(ctx, "+15557654321", long); err != nil {
		t.Fatal(err)
	}
	pushes := m.WaitPushes(t, 1)
	if len(pushes) != 1 || !bytes.Equal(pushes[0].Body, long) {
		t.Errorf("after the refusals the phone got %d pushes", len(pushes))
	}
	if got := len(m.Accepted()); got != 3 {
		t.Errorf("the modem took %d SMS, want 3 (an orphan part and a whole push)", got)
	}
}
