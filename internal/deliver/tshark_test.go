package deliver

import (
	"testing"

	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/mms/mmstest"
	"github.com/homemmsc/homemmsc/internal/push"
)

// Every kind of PDU this package emits decodes in Wireshark's MMSE
// dissector without a warning, with the fields we meant: the
// notification (as push.Notification fits it into one SMS), M-Retrieve.conf
// of a sloppy request, the not-found answer, the self-test message and
// the delivery report.
func TestTshark(t *testing.T) {
	e := newEnv(t)
	e.d.cfg.EncodeNotification = push.Notification
	req := sendReq(func(m *mms.Message) {
		m.DeliveryReport = mms.Yes
		m.Parts[0].ContentID = "smil1"
		m.Parts[1].ContentLocation = ""
		m.Subject = mms.EncodedString{Charset: mms.CharsetLatin1, Raw: []byte("Gr\xfc\xdfe")}
	})
	id := e.put(req)
	e.drain()
	n := e.pusher.pushes(t, numB)[0]
	conf := e.retrieve(n.ContentLocation)
	if err := e.report(numB, mms.TypeNotifyRespInd, n.TransactionID, mms.DeliveryRetrieved); err != nil {
		t.Fatal(err)
	}
	e.drain()
	var pdus [][]byte
	for _, s := range e.pusher.all() {
		pdus = append(pdus, s.pdu)
	}
	for _, m := range []*mms.Message{conf, notFoundConf(t0), testConf("htest", t0)} {
		b, err := m.Encode()
		if err != nil {
			t.Fatal(err)
		}
		pdus = append(pdus, b)
	}
	res := mmstest.Tshark(t, pdus)
	for i, d := range res {
		for _, p := range d.Problems() {
			t.Errorf("PDU %d: tshark: %s", i, p)
		}
	}
	want := []struct {
		field string
		pdu   int
		value string
	}{
		{"mmse.message_type", 0, "0x82"},
		{"mmse.content_location", 0, n.ContentLocation},
		{"mmse.transaction_id", 0, n.TransactionID},
		{"mmse.message_type", 1, "0x86"},
		{"mmse.message_id", 1, id},
		{"mmse.message_type", 2, "0x84"},
		{"mmse.transaction_id", 2, n.TransactionID},
		{"mmse.message_id", 2, id},
		{"mmse.from", 2, numA + "/TYPE=PLMN"},
		{"mmse.message_type", 3, "0x84"},
		{"mmse.retrieve_status", 3, "0xe2"},
		{"mmse.message_type", 4, "0x84"},
	}
	for _, w := range want {
		got := res[w.pdu].Shows(w.field)
		if len(got) != 1 || got[0] != w.value {
			t.Errorf("PDU %d: tshark %s = %q, want %q", w.pdu, w.field, got, w.value)
		}
	}
}
