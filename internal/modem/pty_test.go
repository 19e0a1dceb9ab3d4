package modem_test

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/homemmsc/homemmsc/internal/modem"
	"github.com/homemmsc/homemmsc/internal/modem/notify"
	"github.com/homemmsc/homemmsc/internal/modem/serialport"
	"github.com/homemmsc/homemmsc/internal/modem/sms"
)

// ptyModem is a fake USB modem on a pseudo-terminal, reached through a
// /dev/serial/by-id style link, so that the real go.bug.st/serial code
// runs. It answers the start-up like an LTE-only stick (+CREG: 0,0 while
// +CEREG: 0,1), echoes until ATE0, takes PDUs after the prompt and
// records each message it accepts. It can be unplugged at chosen moments
// of a send and plugged in again as a new pty behind the same link.
type ptyModem struct {
	t    *testing.T
	link string

	mu       sync.Mutex
	master   *os.File
	slave    *os.File
	accepted []*sms.Submit
	cmgs     int            // AT+CMGS commands seen
	unplugAt map[int]string // cmgs number → "prompt" (before the prompt) or "pdu" (after the PDU, before the reply)
	bad      []string
	changed  chan struct{}
}

func newPtyModem(t *testing.T) *ptyModem {
	m := &ptyModem{t: t, link: filepath.Join(t.TempDir(), "usb-Fake_Modem_0123-if00-port0"), changed: make(chan struct{}, 100)}
	m.plug()
	t.Cleanup(m.unplug)
	return m
}

func (m *ptyModem) plug() {
	master, slave, err := pty.Open()
	if err != nil {
		m.t.Fatalf("pty: %v", err)
	}
	os.Remove(m.link)
	if err := os.Symlink(slave.Name(), m.link); err != nil {
		m.t.Fatal(err)
	}
	m.mu.Lock()
	m.master, m.slave = master, slave
	m.mu.Unlock()
	go m.serve(master)
}

func (m *ptyModem) unplug() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.master != nil {
		m.master.Close()
		m.slave.Close()
		m.master, m.slave = nil, nil
		os.Remove(m.link)
	}
}

// replug unplugs now and plugs a new pty in after a while, as a USB
// re-enumeration does.
func (m *ptyModem) replug() {
	m.unplug()
	go func() {
		time.Sleep(200 * time.Millisecond)
		m.plug()
	}()
}

func (m *ptyModem) serve(port *os.File) {
	r := bufio.NewReader(port)
	echo := true
	w := func(s string) { port.Write([]byte(s)) }
	for {
		cmd, err := r.ReadString('\r')
		if err != nil {
			return
		}
		cmd = strings.TrimSpace(cmd)
		if echo {
			w(cmd + "\r")
		}
		switch {
		case cmd == "ATE0":
			echo = false
			w("\r\nOK\r\n")
		case strings.HasPrefix(cmd, "AT+CMGS="):
			if !m.cmgsExchange(r, w, cmd) {
				return
			}
		default:
			w(m.reply(cmd))
		}
	}
}

func (m *ptyModem) reply(cmd string) string {
	replies := map[string]string{
		"AT": "", "AT+CMEE=1": "", "AT+CMGF=0": "",
		"AT+CPIN?":  "+CPIN: READY",
		"AT+CGMM":   "PTY-FAKE",
		"AT+CSCA?":  `+CSCA: "+15550000000",145`,
		"AT+CREG?":  "+CREG: 0,0",
		"AT+CGREG?": "+CGREG: 0,0",
		"AT+CEREG?": "+CEREG: 0,1",
		"AT+CSQ":    "^RSSI:20\r\n\r\n+CSQ: 20,99",
		"AT+COPS?":  `+COPS: 0,0,"Fake Net",7`,
	}
	info, ok := replies[cmd]
	switch {
	case !ok:
		return "\r\nERROR\r\n"
	case info == "":
		return "\r\nOK\r\n"
	}
	return "\r\n" + info + "\r\n\r\nOK\r\n"
}

// cmgsExchange runs one AT+CMGS. It returns false when the modem was
// unplugged.
func (m *ptyModem) cmgsExchange(r *bufio.Reader, w func(string), cmd string) bool {
	m.mu.Lock()
	m.cmgs++
	when := m.unplugAt[m.cmgs]
	m.mu.Unlock()
	if when == "prompt" {
		m.replug()
		return false
	}
	w("\r\n> ")
	hexPDU, err := r.ReadString('\x1a')
	if err != nil {
		return false
	}
	if when == "pdu" {
		m.replug()
		return false
	}
	n, _ := strconv.Atoi(strings.TrimPrefix(cmd, "AT+CMGS="))
	hexPDU = strings.TrimSuffix(hexPDU, "\x1a")
	b, err := hex.DecodeString(hexPDU)
	s, derr := sms.DecodeSubmit(b)
	if err != nil || derr != nil || len(b) != n+1+int(b[0]) {
		m.mu.Lock()
		m.bad = append(m.bad, fmt.Sprintf("%s %q: %v %v", cmd, hexPDU, err, derr))
		m.mu.Unlock()
		w("\r\n+CMS ERROR: 304\r\n")
		return true
	}
	m.mu.Lock()
	m.accepted = append(m.accepted, s)
	mr := len(m.accepted)
	m.mu.Unlock()
	w(fmt.Sprintf("\r\n+CMGS: %d\r\n\r\nOK\r\n", mr))
	m.changed <- struct{}{}
	return true
}

func (m *ptyModem) texts() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, s := range m.accepted {
		out = append(out, s.To+": "+s.Text)
	}
	return out
}

// waitTexts waits until the modem accepted n messages; the deadline is
// only a guard against a hang, not a timing assertion.
func (m *ptyModem) waitTexts(t *testing.T, n int) []string {
	t.Helper()
	guard := time.After(30 * time.Second)
	for len(m.texts()) < n {
		select {
		case <-m.changed:
		case <-guard:
			t.Fatalf("after 30 s the modem accepted %q, want %d texts", m.texts(), n)
		}
	}
	return m.texts()
}

type appliance struct {
	dev    *modem.Device
	notify *notify.Notifier
	stop   func()
}

func startAppliance(t *testing.T, link, dir string) *appliance {
	t.Helper()
	dev := modem.NewDevice(modem.DeviceConfig{
		Path: link, Open: serialport.Open,
		MinBackoff: 50 * time.Millisecond, MaxBackoff: 500 * time.Millisecond,
		Session: modem.Config{Timeout: 2 * time.Second, SMSTimeout: 5 * time.Second},
	})
	n, err := notify.Open(notify.Config{
		Dir: dir, Owners: []string{"+15550001111"}, InboxURL: "http://mms.lan/",
		MinSpacing: 10 * time.Millisecond, MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second,
	}, dev)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); dev.Run(ctx) }()
	go func() { defer wg.Done(); n.Run(ctx) }()
	return &appliance{dev: dev, notify: n, stop: func() { cancel(); wg.Wait() }}
}

func item(i int) notify.Item {
	return notify.Item{ID: fmt.Sprintf("msg%d", i), From: fmt.Sprintf("Phone %d", i), Subject: "Hello", Parts: []string{"image/jpeg", "text/plain"}, Size: 45_000}
}

// Unplug and re-plug in the middle of sends, on the real serial code:
// every notification reaches the modem, none twice.
func TestPtyUnplugDuringSend(t *testing.T) {
	m := newPtyModem(t)
	m.unplugAt = map[int]string{2: "pdu", 4: "prompt"}
	a := startAppliance(t, m.link, t.TempDir())
	defer a.stop()
	for i := 1; i <= 4; i++ {
		if err := a.notify.Add(item(i)); err != nil {
			t.Fatal(err)
		}
		m.waitTexts(t, i)
	}
	got := m.waitTexts(t, 4)
	for i := 1; i <= 4; i++ {
		want := fmt.Sprintf(`+15550001111: MMS from Phone %d: "Hello" - 1 photo, 1 text, 45 KB http://mms.lan/`, i)
		if got[i-1] != want {
			t.Errorf("text %d: %q, want %q", i, got[i-1], want)
		}
	}
	if len(got) != 4 {
		t.Errorf("modem accepted %d texts, want 4: %q", len(got), got)
	}
	m.mu.Lock()
	cmgs, bad := m.cmgs, m.bad
	m.mu.Unlock()
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
	m := newPtyModem(t)
	dir := t.TempDir()
	m.unplug()
	a := startAppliance(t, m.link, dir)
	if err := a.notify.Add(item(7)); err != nil {
		t.Fatal(err)
	}
	a.stop()
	m.plug()
	b := startAppliance(t, m.link, dir)
	defer b.stop()
	got := m.waitTexts(t, 1)
	if len(got) != 1 || !strings.Contains(got[0], "Phone 7") {
		t.Errorf("after restart: %q", got)
	}
}
