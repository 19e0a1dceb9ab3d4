package mms

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden PDUs under testdata/ (hex dumps)")

// goldenPDU is one PDU we emit, its golden file and what an independent
// decoder (tshark) must see in it.
type goldenPDU struct {
	file   string
	msg    func(t testing.TB) *Message
	fields map[string]string // tshark field → expected "show" value
	parts  []string          // expected part content types, in order
}

var goldenDate = time.Date(2026, 11, 26, 19, 54, 53, 0, time.UTC)

const smil = `<smil><head><layout><root-layout width="320" height="480"/>` +
	`<region id="Image" left="0" top="0" width="320" height="320" fit="meet"/>` +
	`<region id="Text" left="0" top="320" width="320" height="160" fit="scroll"/>` +
	`</layout></head><body><par dur="5000ms"><img src="photo.jpg" region="Image"/>` +
	`<text src="text.txt" region="Text"/></par></body></smil>`

func goldens() []goldenPDU {
	return []goldenPDU{
		{
			file: "m-send-conf-ok.hex",
			msg: func(testing.TB) *Message {
				return NewSendConf("1262957356-3", Version12, StatusOk, "20261126T195453-0001")
			},
			fields: map[string]string{
				"mmse.message_type": "0x81", "mmse.transaction_id": "1262957356-3", "mmse.mms_version": "1.2",
				"mmse.response_status": "0x80", "mmse.message_id": "20261126T195453-0001",
			},
		},
		{
			file: "m-send-conf-error.hex",
			msg: func(testing.TB) *Message {
				m := NewSendConf("342", Version10, StatusErrMessageFormatCorrupt, "")
				m.ResponseText = Text("malformed PDU")
				return m
			},
			fields: map[string]string{
				"mmse.message_type": "0x81", "mmse.transaction_id": "342", "mmse.mms_version": "1.0",
				"mmse.response_status": "0x83", "mmse.response_text": "malformed PDU",
			},
		},
		{
			file: "m-retrieve-conf.hex",
			msg:  retrieveConf,
			fields: map[string]string{
				"mmse.message_type": "0x84", "mmse.transaction_id": "T0001", "mmse.mms_version": "1.2",
				"mmse.message_id": "20261126T195453-0001", "mmse.from": "+15551234567/TYPE=PLMN",
				"mmse.to": "+15557654321/TYPE=PLMN", "mmse.subject": "Hälsningar från köket",
				"mmse.date": "Nov 26, 2026 19:54:53.000000000 UTC", "mmse.message_class.id": "0x80",
			},
			parts: []string{"application/smil", "image/jpeg", "text/plain"},
		},
		{
			file: "m-notification-ind.hex",
			msg: func(testing.TB) *Message {
				m := NewNotificationInd("T0001", "http://192.0.2.10/mms/T0001", 31234, 7*24*time.Hour)
				m.From = PLMN("+15551234567")
				m.Subject = Text("Hälsningar från köket")
				return m
			},
			fields: map[string]string{
				"mmse.message_type": "0x82", "mmse.transaction_id": "T0001", "mmse.mms_version": "1.2",
				"mmse.from": "+15551234567/TYPE=PLMN", "mmse.subject": "Hälsningar från köket",
				"mmse.message_class.id": "0x80", "mmse.message_size": "31234",
				"mmse.content_location": "http://192.0.2.10/mms/T0001",
			},
		},
		{
			file: "m-delivery-ind.hex",
			msg: func(testing.TB) *Message {
				return NewDeliveryInd("20261126T195453-0001", PLMN("+15557654321"), goldenDate, DeliveryRetrieved)
			},
			fields: map[string]string{
				"mmse.message_type": "0x86", "mmse.mms_version": "1.2", "mmse.message_id": "20261126T195453-0001",
				"mmse.to": "+15557654321/TYPE=PLMN", "mmse.date": "Nov 26, 2026 19:54:53.000000000 UTC",
				"mmse.status": "0x81",
			},
		},
	}
}

// retrieveConf is the M-Retrieve.conf delivering an M-Send.req with a
// SMIL, a JPEG and a UTF-8 text part.
func retrieveConf(t testing.TB) *Message {
	jpg, err := os.ReadFile(filepath.Join("testdata", "photo.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	req := &Message{
		Type: TypeSendReq, TransactionID: "1262957356-3", Version: Version12,
		From:         Address{Insert: true},
		To:           []Address{PLMN("+15557654321")},
		Subject:      Text("Hälsningar från köket"),
		MessageClass: "personal",
		ContentType: ContentType{MediaType: MediaMultipartRelated, Params: []Param{
			{"start", "<smil>"}, {"type", MediaSMIL}}},
		Parts: []Part{
			{ContentType: ContentType{MediaType: MediaSMIL, Params: []Param{{"charset", "utf-8"}}},
				ContentID: "<smil>", ContentLocation: "smil.xml", Data: []byte(smil)},
			{ContentType: ContentType{MediaType: "image/jpeg", Params: []Param{{"name", "photo.jpg"}}},
				ContentID: "<photo>", ContentLocation: "photo.jpg", Data: jpg},
			{ContentType: ContentType{MediaType: "text/plain", Params: []Param{{"charset", "utf-8"}, {"name", "text.txt"}}},
				ContentID: "<text>", ContentLocation: "text.txt", Data: []byte("Hej! Middag klockan sju 🍲")},
		},
	}
	return NewRetrieveConf(req, PLMN("+15551234567"), "T0001", "20261126T195453-0001", goldenDate)
}

func TestGolden(t *testing.T) {
	for _, g := range goldens() {
		t.Run(g.file, func(t *testing.T) {
			m := g.msg(t)
			enc := roundTrip(t, m)
			checkOrder(t, enc)
			golden.Check(t, filepath.Join("testdata", g.file), enc, *update)
		})
	}
}

// checkOrder checks the header order old mmsd insists on: Message-Type,
// Transaction-Id (when present), MMS-Version first; Content-Type, when
// present, last.
func checkOrder(t *testing.T, pdu []byte) {
	t.Helper()
	var fields []byte
	p := pdu
	for len(p) > 0 && p[0] != 0x80|fieldContentType {
		fields = append(fields, p[0]&0x7F)
		_, rest, err := valueExtent(p[1:])
		if err != nil {
			t.Fatalf("walking headers: %v", err)
		}
		p = rest
	}
	want := []byte{fieldMessageType, fieldTransactionID, fieldMMSVersion}
	if len(fields) > 1 && fields[1] != fieldTransactionID {
		want = []byte{fieldMessageType, fieldMMSVersion}
	}
	if !bytes.HasPrefix(fields, want) {
		t.Errorf("header order % X, want prefix % X", fields, want)
	}
	if bytes.Contains(fields[len(want):], []byte{fieldMessageType}) || bytes.Contains(fields[len(want):], []byte{fieldMMSVersion}) {
		t.Errorf("Message-Type or MMS-Version repeated later: % X", fields)
	}
	if len(p) > 0 {
		// After Content-Type only the body follows: the content type and
		// a multipart, which Decode reads back in TestGolden's roundTrip.
		ct, _, err := readContentType(p[1:])
		if err != nil || ct.MediaType == "" {
			t.Errorf("Content-Type not last: %v", err)
		}
	}
}

// The constructors put the fields the MMSC needs where the spec wants them.
func TestNewRetrieveConf(t *testing.T) {
	m := retrieveConf(t)
	if m.From.String() != "+15551234567/TYPE=PLMN" || m.Version != Version12 || m.Type != TypeRetrieveConf ||
		len(m.Parts) != 3 || m.Date != goldenDate || len(m.Bcc) != 0 {
		t.Errorf("NewRetrieveConf = %+v", m)
	}
	req := &Message{Type: TypeSendReq, Version: Version10, From: PLMN("+1"), Bcc: []Address{PLMN("+2")}}
	m = NewRetrieveConf(req, PLMN("+9"), "t", "id", goldenDate)
	if m.From.String() != "+1/TYPE=PLMN" || m.Version != Version10 || m.Bcc != nil {
		t.Errorf("NewRetrieveConf keeps the request's From, version 1.0, no Bcc: %+v", m)
	}
}
