// Package modemtest has a fake USB GSM modem on a pseudo-terminal, for
// tests that run the real serial port code (go.bug.st/serial) and the
// whole notification path.
package modemtest

import (
	"bufio"
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

	"github.com/homemmsc/homemmsc/internal/modem/sms"
)

// Accepted is a message the fake modem took, and when its PDU arrived.
type Accepted struct {
	*sms.Submit
	PDU []byte // as written after the prompt: SMSC field and TPDU
	At  time.Time
}

// Pty is a fake USB modem on a pseudo-terminal, reached through a
// /dev/serial/by-id style link, so that the real go.bug.st/serial code
// runs. It answers the start-up like an LTE-only stick (+CREG: 0,0 while
// +CEREG: 0,1), echoes until ATE0, takes PDUs after the prompt and
// records each message it accepts. It can be unplugged at chosen moments
// of a send and plugged in again as a new pty behind the same link.
type Pty struct {
	t    testing.TB
	link string

	mu       sync.Mutex
	master   *os.File
	slave    *os.File
	accepted []Accepted
	cmgs     int            // AT+CMGS commands seen
	unplugAt map[int]string // AT+CMGS number → "prompt" (before the prompt) or "pdu" (after the PDU, before the reply)
	refuseAt map[int]int    // AT+CMGS number → +CMS ERROR code answered after the PDU
	bad      []string
	changed  chan struct{} // closed and replaced when a message is accepted
}

func New(t testing.TB) *Pty {
	m := &Pty{t: t, link: filepath.Join(t.TempDir(), "usb-Fake_Modem_0123-if00-port0"), changed: make(chan struct{})}
	m.Plug()
	t.Cleanup(m.Unplug)
	return m
}

func (m *Pty) Plug() {
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

func (m *Pty) Unplug() {
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
func (m *Pty) Replug() {
	m.Unplug()
	go func() {
		time.Sleep(200 * time.Millisecond)
		m.Plug()
	}()
}

func (m *Pty) serve(port *os.File) {
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

func (m *Pty) reply(cmd string) string {
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
func (m *Pty) cmgsExchange(r *bufio.Reader, w func(string), cmd string) bool {
	m.mu.Lock()
	m.cmgs++
	when := m.unplugAt[m.cmgs]
	refuse := m.refuseAt[m.cmgs]
	m.mu.Unlock()
	if when == "prompt" {
		m.Replug()
		return false
	}
	w("\r\n> ")
	hexPDU, err := r.ReadString('\x1a')
	if err != nil {
		return false
	}
	at := time.Now()
	if when == "pdu" {
		m.Replug()
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
	if refuse != 0 {
		w(fmt.Sprintf("\r\n+CMS ERROR: %d\r\n", refuse))
		return true
	}
	m.mu.Lock()
	m.accepted = append(m.accepted, Accepted{Submit: s, PDU: b, At: at})
	mr := len(m.accepted)
	close(m.changed)
	m.changed = make(chan struct{})
	m.mu.Unlock()
	w(fmt.Sprintf("\r\n+CMGS: %d\r\n\r\nOK\r\n", mr))
	return true
}

func (m *Pty) Texts() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, a := range m.accepted {
		out = append(out, a.To+": "+a.Text)
	}
	return out
}

// WaitTexts waits until the modem accepted n SMS (parts, not reassembled
// messages); the deadline is only a guard against a hang, not a timing
// assertion.
func (m *Pty) WaitTexts(t testing.TB, n int) []string {
	t.Helper()
	return waitFor(t, m, n, "SMS", m.Texts)
}

// changes returns a channel closed when the modem next accepts a message.
func (m *Pty) changes() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.changed
}

// Link is the by-id style path of the modem: pass it to -modem.
func (m *Pty) Link() string { return m.link }

// UnplugAt makes the modem vanish during the n-th AT+CMGS (counting from
// 1): "prompt" before the prompt, "pdu" after the PDU and before the
// reply. It comes back as a new pty behind the same link.
func (m *Pty) UnplugAt(n int, when string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.unplugAt == nil {
		m.unplugAt = map[int]string{}
	}
	m.unplugAt[n] = when
}

// RefuseAt makes the modem answer the n-th AT+CMGS (counting from 1) with
// +CMS ERROR: code after taking the PDU, as a network or SMSC refusal
// does (500 is temporary, 304 and 305 permanent).
func (m *Pty) RefuseAt(n, code int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.refuseAt == nil {
		m.refuseAt = map[int]int{}
	}
	m.refuseAt[n] = code
}

// Accepted returns the messages the modem took, in order.
func (m *Pty) Accepted() []Accepted {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Accepted(nil), m.accepted...)
}

// CMGS is how many AT+CMGS commands the modem saw.
func (m *Pty) CMGS() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cmgs
}

// Bad lists the PDUs the modem refused with +CMS ERROR: 304 (wrong length
// or undecodable): each is a bug in the encoder.
func (m *Pty) Bad() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.bad...)
}
