package modemtest

import (
	"bytes"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/modem/sms"
)

// Message is an SMS the fake modem took, its concatenated parts
// reassembled.
type Message struct {
	To      string
	Text    string // GSM 7-bit or UCS-2 text
	Data    []byte // 8-bit data; for a WAP push, the WSP Push PDU
	DstPort int    // -1 when absent
	Parts   int
	PDUs    [][]byte  // the parts as received, in order
	At      time.Time // when the last part arrived
}

// Messages returns the complete messages the modem took, in the order
// their last part arrived. Parts are matched by destination, reference
// (8- or 16-bit) and part count, as a phone reassembles them; a message
// with a part missing is left out.
func (m *Pty) Messages() []Message {
	type key struct {
		to         string
		ref, parts int
		ref16      bool
	}
	pending := map[key][]Accepted{}
	var out []Message
	for _, a := range m.Accepted() {
		if a.Parts <= 1 {
			out = append(out, message([]Accepted{a}))
			continue
		}
		k := key{a.To, a.Ref, a.Parts, a.Ref16}
		pending[k] = append(pending[k], a)
		if parts := pending[k]; len(parts) == a.Parts {
			delete(pending, k)
			if msg, ok := assemble(parts); ok {
				out = append(out, msg)
			}
		}
	}
	return out
}

// assemble orders parts by number; ok is false when a number repeats or
// is out of range.
func assemble(parts []Accepted) (Message, bool) {
	ordered := make([]Accepted, len(parts))
	for _, p := range parts {
		if p.Part < 1 || p.Part > len(parts) || ordered[p.Part-1].Submit != nil {
			return Message{}, false
		}
		ordered[p.Part-1] = p
	}
	msg := message(ordered)
	msg.At = parts[len(parts)-1].At
	return msg, true
}

func message(parts []Accepted) Message {
	msg := Message{To: parts[0].To, DstPort: parts[0].DstPort, Parts: len(parts), At: parts[0].At}
	for _, p := range parts {
		msg.Text += p.Text
		msg.Data = append(msg.Data, p.Data...)
		msg.PDUs = append(msg.PDUs, p.PDU)
	}
	return msg
}

// WaitMessages waits until the modem took n complete messages; the
// deadline only guards against a hang.
func (m *Pty) WaitMessages(t testing.TB, n int) []Message {
	t.Helper()
	return waitFor(t, m, n, "messages", m.Messages)
}

// Push is a WAP push the fake modem took: a message to port 2948 whose
// connectionless WSP Push header (WAP-230-WSP §8.2.4.1) is the one MMS
// uses — 06, headers length 3, 0xBE (application/vnd.wap.mms-message),
// 0xAF 0x84 (X-Wap-Application-Id mms.ua) — stripped off.
type Push struct {
	To   string
	TID  byte
	Body []byte   // the MMS PDU
	PDUs [][]byte // the SMS parts as received, in order
}

// mmsPushHeader is the WSP Push header after the transaction id.
var mmsPushHeader = []byte{0x06, 0x03, 0xBE, 0xAF, 0x84}

// Pushes returns the MMS WAP pushes among Messages. A message to port
// 2948 with another header fails the test: the encoder is wrong.
func (m *Pty) Pushes() []Push {
	var out []Push
	for _, msg := range m.Messages() {
		if msg.DstPort != int(sms.PortWAPPush) {
			continue
		}
		if len(msg.Data) < 6 || !bytes.Equal(msg.Data[1:6], mmsPushHeader) {
			m.t.Errorf("modemtest: WAP push to %s without the MMS WSP header: % X", msg.To, msg.Data)
			continue
		}
		out = append(out, Push{To: msg.To, TID: msg.Data[0], Body: msg.Data[6:], PDUs: msg.PDUs})
	}
	return out
}

// WaitPushes waits until the modem took n MMS WAP pushes.
func (m *Pty) WaitPushes(t testing.TB, n int) []Push {
	t.Helper()
	return waitFor(t, m, n, "WAP pushes", m.Pushes)
}

// waitFor waits until list returns at least n items; the 30 s deadline is
// only a guard against a hang, not a timing assertion.
func waitFor[T any](t testing.TB, m *Pty, n int, what string, list func() []T) []T {
	t.Helper()
	guard := time.After(30 * time.Second)
	for {
		changed := m.changes() // before the look, so no acceptance is missed
		got := list()
		if len(got) >= n {
			return got
		}
		select {
		case <-changed:
		case <-guard:
			t.Fatalf("after 30 s the modem took %d %s, want %d: %v", len(got), what, n, got)
		}
	}
}
