package deliver

import (
	"maps"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/mms"
)

// Stats counts each push, fetch, phone report, state change and delivery
// report once, through a deferral, an acknowledge, a fetch of a dead
// link, an expiry and a push the modem refuses for good.
func TestStats(t *testing.T) {
	e := newEnv(t)
	id1 := e.put(sendReq(func(m *mms.Message) { m.DeliveryReport = mms.Yes }))
	e.drain()
	n := e.pusher.pushes(t, numB)[0]
	if err := e.report(numB, mms.TypeNotifyRespInd, n.TransactionID, mms.DeliveryDeferred); err != nil {
		t.Fatal(err)
	}
	e.retrieve(n.ContentLocation)
	if err := e.report(numB, mms.TypeAcknowledgeInd, n.TransactionID, 0); err != nil {
		t.Fatal(err)
	}
	e.drain() // the delivery report to A
	checkNotFound(t, e.retrieve("http://mms.example.org:8080/m/not-a-key"))

	id2 := e.put(sendReq(func(m *mms.Message) { m.Expiry = mms.TimeValue{Relative: time.Hour} }))
	e.drain()
	e.clock.Add(2 * time.Hour)
	e.drain()
	e.pusher.fail = []error{errPermanent} // the modem refuses the number for good
	id3 := e.put(sendReq(nil))
	e.drain()
	if e.state(id1, 0).State != Retrieved || e.state(id2, 0).State != Expired || e.state(id3, 0).State != Failed {
		t.Fatalf("states %q, %q and %q", e.state(id1, 0).State, e.state(id2, 0).State, e.state(id3, 0).State)
	}

	s := e.d.Stats()
	if s.Pushes != 2 || s.PushFailures != 1 || s.Fetches != 1 || s.NotFound != 1 ||
		s.DeliveryReports != 1 || s.DeliveryReportsLost != 0 {
		t.Errorf("counts %+v", s)
	}
	wantReports := map[PhoneReport]uint64{{"notifyresp", "deferred"}: 1, {"acknowledge", "retrieved"}: 1}
	if !maps.Equal(s.PhoneReports, wantReports) {
		t.Errorf("phone reports %v, want %v", s.PhoneReports, wantReports)
	}
	wantStates := map[State]uint64{Notified: 2, Deferred: 1, Retrieved: 1, Expired: 1, Failed: 1}
	if !maps.Equal(s.States, wantStates) {
		t.Errorf("states %v, want %v", s.States, wantStates)
	}
	s.States[Failed] = 99 // a copy: the Deliverer's counts are not changed
	if e.d.Stats().States[Failed] != 1 {
		t.Error("Stats shares its maps")
	}
}

// TestReportDuringPush: a phone can answer the push before the modem
// call that sent it returns, so its report comes before the outbox's
// Done. The push still counts once, the recipient still passes through
// notified, and a deferral is not notified twice.
func TestReportDuringPush(t *testing.T) {
	for _, c := range []struct {
		status byte
		want   State
	}{{mms.DeliveryRejected, Rejected}, {mms.DeliveryDeferred, Deferred}} {
		e := newEnv(t)
		var reportErr error
		e.pusher.onPush = func(to string, pdu []byte) {
			n, err := mms.Decode(pdu)
			if err != nil {
				reportErr = err
				return
			}
			reportErr = e.report(to, mms.TypeNotifyRespInd, n.TransactionID, c.status)
		}
		id := e.put(sendReq(nil))
		e.drain()
		if reportErr != nil {
			t.Fatal(reportErr)
		}
		rc := e.state(id, 0)
		s := e.d.Stats()
		if rc.State != c.want || rc.Notifications != 1 || s.Pushes != 1 || s.States[Notified] != 1 || s.States[c.want] != 1 {
			t.Errorf("%s during the push: state %s after %d notifications, %d pushes counted, states %v",
				c.want, rc.State, rc.Notifications, s.Pushes, s.States)
		}
	}
}
