package push

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/mms/mmstest"
	"github.com/homemmsc/homemmsc/internal/modem/sms"
	"github.com/homemmsc/homemmsc/internal/modem/sms/smstest"
)

// deliveryInds are M-Delivery.ind PDUs for each status a sender may be
// told.
func deliveryInds(t *testing.T) [][]byte {
	t.Helper()
	date := time.Date(2026, 11, 26, 19, 54, 53, 0, time.UTC)
	var out [][]byte
	for _, st := range []byte{mms.DeliveryRetrieved, mms.DeliveryRejected, mms.DeliveryExpired, mms.DeliveryDeferred} {
		b, err := mms.NewDeliveryInd("20261126T195453-0001", mms.PLMN("+15557654321"), date, st).Encode()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// pushedHex pushes each PDU and returns the SMS of each push in hex.
func pushedHex(t *testing.T, p *Pusher, r *recorder, to string, pdus [][]byte) [][]string {
	t.Helper()
	var groups [][]string
	for _, b := range pdus {
		if err := p.Push(context.Background(), to, b); err != nil {
			t.Fatal(err)
		}
		var g []string
		for _, s := range r.take() {
			g = append(g, s.Hex())
		}
		groups = append(groups, g)
	}
	return groups
}

// libGammu reassembles every push we make and reads each notification as
// an MMS indicator with our URL, size, sender and subject.
func TestGammuReadsPushes(t *testing.T) {
	p, r := newTest()
	const to = "+15551234567"
	var pdus [][]byte
	for _, c := range notices() {
		b, err := Notification(c.message())
		if err != nil {
			t.Fatal(err)
		}
		pdus = append(pdus, b)
	}
	pdus = append(pdus, deliveryInds(t)...)
	groups := pushedHex(t, p, r, to, pdus)
	res := smstest.Gammu(t, groups)
	for i, b := range pdus {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			checkGammuPush(t, to, b, groups[i], res[i])
			if i < len(notices()) {
				checkIndicator(t, notices()[i], res[i])
			}
		})
	}
}

// checkGammuPush checks that gammu linked the parts into one message to
// port 2948 whose data is the WSP push header and the PDU.
func checkGammuPush(t *testing.T, to string, pdu []byte, group []string, r smstest.Result) {
	t.Helper()
	if r.Linked != 1 || len(r.LinkedParts) != len(group) {
		t.Fatalf("gammu linked %d parts into %d messages, want %d into 1", len(r.LinkedParts), r.Linked, len(group))
	}
	var data []byte
	for i, part := range r.LinkedParts {
		if part.Type != "Submit" || part.Number != to || part.Coding != "8bit" {
			t.Errorf("part %d: %s to %q coded %s", i+1, part.Type, part.Number, part.Coding)
		}
		if !strings.Contains(part.UDH.Text, "05040b8423f0") {
			t.Errorf("part %d: UDH %s lacks ports 2948/9200", i+1, part.UDH.Text)
		}
		b, err := hex.DecodeString(part.Text)
		if err != nil {
			t.Fatal(err)
		}
		data = append(data, b...)
	}
	if len(data) < 6 || !bytes.Equal(data[1:6], []byte{0x06, 0x03, 0xBE, 0xAF, 0x84}) || !bytes.Equal(data[6:], pdu) {
		t.Errorf("gammu reassembled % X\nwant <tid> 06 03 BE AF 84 % X", data, pdu)
	}
}

func checkIndicator(t *testing.T, c notice, r smstest.Result) {
	t.Helper()
	if r.Info == nil || len(r.Info.Entries) == 0 || r.Info.Entries[0].MMSIndicator == nil {
		t.Fatalf("gammu.DecodeSMS found no MMS indicator: %+v", r.Info)
	}
	e := r.Info.Entries[0]
	got := *e.MMSIndicator
	from, subject := "", ""
	if c.wantFrom {
		from = c.from + "/TYPE=PLMN"
	}
	if c.wantSubject {
		subject = c.subject
	}
	if e.ID != "MMSIndicatorLong" || e.Number != int(sms.PortWAPPush) || got.Address != c.url ||
		got.MessageSize != int(c.size) || got.Sender != from || got.Title != subject || got.Class != "Personal" {
		t.Errorf("gammu: %s on port %d, indicator %+v\nwant URL %q size %d sender %q title %q", e.ID, e.Number, got, c.url, c.size, from, subject)
	}
}

// Wireshark's MMSE dissector reads every notification and delivery report
// we push with the expected fields and no warning.
func TestTsharkReadsPDUs(t *testing.T) {
	var pdus [][]byte
	var want []map[string]string
	for _, c := range notices() {
		b, err := Notification(c.message())
		if err != nil {
			t.Fatal(err)
		}
		pdus = append(pdus, b)
		want = append(want, noticeFields(c))
	}
	for i, b := range deliveryInds(t) {
		pdus = append(pdus, b)
		want = append(want, map[string]string{
			"mmse.message_type": "0x86", "mmse.mms_version": "1.2", "mmse.message_id": "20261126T195453-0001",
			"mmse.to": "+15557654321/TYPE=PLMN", "mmse.date": "Nov 26, 2026 19:54:53.000000000 UTC",
			"mmse.status": fmt.Sprintf("0x%02x", []byte{0x81, 0x82, 0x80, 0x83}[i]),
		})
	}
	res := mmstest.Tshark(t, pdus)
	for i := range pdus {
		for _, p := range res[i].Problems() {
			t.Errorf("PDU %d: tshark: %s", i, p)
		}
		for f, v := range want[i] {
			if got := res[i].Shows(f); len(got) != 1 || got[0] != v && !res[i].HoldsOctets(f, v) {
				t.Errorf("PDU %d: tshark %s = %q, want [%q]", i, f, got, v)
			}
		}
		for _, f := range []string{"mmse.from", "mmse.subject"} {
			if _, ok := want[i][f]; !ok && len(res[i].Shows(f)) > 0 && want[i]["mmse.message_type"] == "0x82" {
				t.Errorf("PDU %d: tshark shows %s %q, which should have been left out", i, f, res[i].Shows(f))
			}
		}
	}
}

func noticeFields(c notice) map[string]string {
	f := map[string]string{
		"mmse.message_type": "0x82", "mmse.transaction_id": c.tid, "mmse.mms_version": "1.2",
		"mmse.message_class.id": "0x80", "mmse.message_size": fmt.Sprint(c.size),
		"mmse.content_location": c.url,
	}
	if c.wantFrom {
		f["mmse.from"] = c.from + "/TYPE=PLMN"
	}
	if c.wantSubject {
		f["mmse.subject"] = c.subject
	}
	return f
}
