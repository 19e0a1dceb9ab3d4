package main_test

// The modem unplugged in the middle of a send (issue 5), through the real
// binary and the pty fake modem: the MMSC keeps answering POSTs Ok
// promptly, and every message's SMS reaches the modem once it is back —
// also across a kill -9 while the modem is away (the outbox is durable
// and the store's unseen messages are re-queued at start).

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/modem/modemtest"
)

func TestFaultModemUnplugged(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped with -short")
	}
	bin := e2eBuild(t, t.TempDir(), "fault-modem")
	m := modemtest.New(t)
	m.UnplugAt(1, "pdu") // the first SMS: the PDU is sent, then the stick vanishes before it answers
	_, cwd, data := dirs(t)
	args := []string{"-modem", m.Link(), "-owner", "+15550001111", "-notify-window", "0", "-notify-spacing", "1ms"}
	p := e2eStart(t, bin, cwd, data, args...)
	logOnFailure(t, p)

	// Three posts while the first SMS is cut off and the modem re-enumerates.
	var slowest time.Duration
	for i := 1; i <= 3; i++ {
		slowest = max(slowest, postFrom(t, p, i))
	}
	waitSenders(t, m, 3)
	if m.CMGS() <= len(m.Texts()) {
		t.Errorf("the modem saw %d AT+CMGS for %d texts: the cut one is missing", m.CMGS(), len(m.Texts()))
	}

	// The modem stays away; a message arrives; the power goes.
	m.Unplug()
	slowest = max(slowest, postFrom(t, p, 4))
	p.kill()
	m.Plug()
	p = e2eStart(t, bin, cwd, data, args...)
	logOnFailure(t, p)
	waitSenders(t, m, 4)
	p.stop()

	t.Logf("slowest answer while the modem was away: %v; AT+CMGS seen %d, SMS accepted %d", slowest, m.CMGS(), len(m.Texts()))
	if slowest > 5*time.Second {
		t.Errorf("a POST took %v while the modem was away", slowest)
	}
	for i := 1; i <= 4; i++ {
		if n := countTexts(m, sender(i)); n != 1 {
			t.Errorf("message %d: named in %d SMS, want exactly 1; texts %q", i, n, m.Texts())
		}
	}
	if bad := m.Bad(); bad != nil {
		t.Errorf("PDUs refused with +CMS ERROR: 304: %q", bad)
	}
}

// postFrom posts a message from sender +1555123000<i>, checks it is
// stored Ok and returns how long the answer took.
func postFrom(t *testing.T, p *e2eProc, i int) time.Duration {
	t.Helper()
	tid := fmt.Sprintf("modem-away-%d", i)
	start := time.Now()
	r, err := p.post("/mms?n=%2B"+sender(i)[1:], sendReqWithParts(tid, onePart(1000*i)))
	took := time.Since(start)
	if err != nil {
		t.Fatalf("%s: %v", tid, err)
	}
	checkConf(t, tid, r, tid, mms.Version12, mms.StatusOk)
	return took
}

// sender is the number message i is posted from.
func sender(i int) string { return fmt.Sprintf("+1555123000%d", i) }

// waitSenders waits until the texts the modem took name senders 1 to n:
// one SMS per message, or one for several when they queued up while the
// modem was away (the notifier then sends "2 new MMS: ..."). The deadline
// only guards against a hang.
func waitSenders(t *testing.T, m *modemtest.Pty, n int) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		named := 0
		for i := 1; i <= n; i++ {
			if countTexts(m, sender(i)) > 0 {
				named++
			}
		}
		if named == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s the modem took %q, want senders 1 to %d named", m.Texts(), n)
		}
	}
}

func countTexts(m *modemtest.Pty, substr string) int {
	n := 0
	for _, s := range m.Texts() {
		if strings.Contains(s, substr) {
			n++
		}
	}
	return n
}

// logOnFailure prints the binary's log if the test fails.
func logOnFailure(t *testing.T, p *e2eProc) {
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("appliance log:\n%s", p.log.String())
		}
	})
}
