package mms

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// Examples from the specs, as hex tables named after the section.

// WAP-230-WSP §8.1.2: "the value 0x87A5 (1000 0111 1010 0101) is encoded
// as 0x82 0x8F 0x25"; the others are the edges of the octet counts.
func TestWSP_8_1_2_Uintvar(t *testing.T) {
	for _, tc := range []struct {
		v   uint32
		hex string
	}{
		{0x87A5, "82 8F 25"},
		{0, "00"},
		{0x7F, "7F"},
		{0x80, "81 00"},
		{0x3FFF, "FF 7F"},
		{0x4000, "81 80 00"},
		{0xFFFFFFFF, "8F FF FF FF 7F"},
	} {
		want := unhex(t, tc.hex)
		if got := appendUintvar(nil, tc.v); !bytes.Equal(got, want) {
			t.Errorf("appendUintvar(%#x) = % X, want % X", tc.v, got, want)
		}
		v, rest, err := readUintvar(append(want, 0xAA))
		if err != nil || v != tc.v || !bytes.Equal(rest, []byte{0xAA}) {
			t.Errorf("readUintvar(% X) = %#x, % X, %v", want, v, rest, err)
		}
	}
	for _, bad := range []struct {
		hex string
		err error
	}{
		{"81", ErrTruncated},
		{"", ErrTruncated},
		{"90 80 80 80 00", ErrMalformed},    // 33 bits
		{"81 80 80 80 80 00", ErrMalformed}, // 6 octets
	} {
		if _, _, err := readUintvar(unhex(t, bad.hex)); !errors.Is(err, bad.err) {
			t.Errorf("readUintvar(%s) error %v, want %v", bad.hex, err, bad.err)
		}
	}
}

// WAP-230-WSP §8.4.2.1 (Short-integer, Long-integer) and §8.4.2.2
// (Value-length: Short-length 0–30, or Length-quote 31 and a uintvar).
func TestWSP_8_4_2_1_Integers(t *testing.T) {
	for _, tc := range []struct {
		v   uint64
		hex string
	}{
		{0, "80"},
		{0x7F, "FF"},
		{0x80, "01 80"},
		{12345, "02 30 39"},
		{1 << 32, "05 01 00 00 00 00"},
		{^uint64(0), "08 FF FF FF FF FF FF FF FF"},
	} {
		want := unhex(t, tc.hex)
		if got := appendInteger(nil, tc.v); !bytes.Equal(got, want) {
			t.Errorf("appendInteger(%d) = % X, want % X", tc.v, got, want)
		}
		if v, rest, err := readInteger(want); err != nil || v != tc.v || len(rest) != 0 {
			t.Errorf("readInteger(% X) = %d, %v", want, v, err)
		}
	}
	// Leading zero octets are allowed up to 30 octets; more than 64
	// significant bits are not.
	if v, _, err := readLongInt(unhex(t, "0A 00 00 00 00 00 00 00 00 01 00")); err != nil || v != 256 {
		t.Errorf("long integer with leading zeros = %d, %v", v, err)
	}
	if _, _, err := readLongInt(unhex(t, "09 01 00 00 00 00 00 00 00 00")); !errors.Is(err, ErrMalformed) {
		t.Errorf("72-bit long integer: %v, want ErrMalformed", err)
	}
	if _, _, err := readLongInt(unhex(t, "00")); !errors.Is(err, ErrMalformed) {
		t.Errorf("zero-length long integer: %v, want ErrMalformed", err)
	}
}

func TestWSP_8_4_2_2_ValueLength(t *testing.T) {
	for _, tc := range []struct {
		n   int
		hex string
	}{
		{0, "00"},
		{30, "1E"},
		{31, "1F 1F"},
		{200, "1F 81 48"},
	} {
		want := unhex(t, tc.hex)
		if got := appendValueLength(nil, tc.n); !bytes.Equal(got, want) {
			t.Errorf("appendValueLength(%d) = % X, want % X", tc.n, got, want)
		}
		in := append(append([]byte{}, want...), make([]byte, tc.n)...)
		if val, rest, err := readValueLength(in); err != nil || len(val) != tc.n || len(rest) != 0 {
			t.Errorf("readValueLength(%s…) = %d octets, %v", tc.hex, len(val), err)
		}
	}
	if _, _, err := readValueLength(unhex(t, "05 01 02")); !errors.Is(err, ErrTruncated) {
		t.Errorf("value-length past the end: %v, want ErrTruncated", err)
	}
}

// WAP-230-WSP §8.4.2.1: a Text-string whose first octet is ≥ 0x80 starts
// with the Quote 0x7F; OMA-MMS-ENC §7.2.9 Encoded-string-value.
func TestWSP_8_4_2_1_TextQuote(t *testing.T) {
	m := &Message{Type: TypeSendReq, Subject: EncodedString{Raw: []byte("\xC3\xA9t\xC3\xA9")}}
	enc, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	want := unhex(t, `8C 80 96 7F C3 A9 "t" C3 A9 00`)
	if !bytes.Equal(enc, want) {
		t.Errorf("Encode = % X, want % X", enc, want)
	}
	m2, err := Decode(want)
	if err != nil || m2.Subject.Text() != "été" {
		t.Errorf("Decode: subject %q, %v", m2.Subject.Text(), err)
	}
}

// OMA-MMS-ENC §7.2.9 and §7.3 header values, one header each, after
// `8C 80` (m-send-req).
func TestMMSENC_7_3_HeaderValues(t *testing.T) {
	for _, tc := range []struct {
		name  string
		hex   string
		check func(*Message) bool
	}{
		{"From insert-address-token", "89 01 81", func(m *Message) bool { return m.From.Insert && m.From.Kind() == KindInsert }},
		{"From address-present", `89 18 80 "+15551234567/TYPE=PLMN" 00`, func(m *Message) bool {
			n, ok := m.From.Number()
			return ok && n == "+15551234567"
		}},
		{"To IPv4", `97 "192.0.2.1/TYPE=IPv4" 00`, func(m *Message) bool { return m.To[0].Kind() == KindIPv4 }},
		{"To e-mail with charset", `97 0F EA "a@example.org" 00`, func(m *Message) bool {
			return m.To[0].Value.Charset == CharsetUTF8 && m.To[0].String() == "a@example.org" && m.To[0].Kind() == KindEmail
		}},
		{"To, Cc and Bcc, two each", `97 "1/TYPE=PLMN" 00 97 "2/TYPE=PLMN" 00 82 "3/TYPE=PLMN" 00 82 "4/TYPE=PLMN" 00 81 "5/TYPE=PLMN" 00 81 "6/TYPE=PLMN" 00`,
			func(m *Message) bool {
				return len(m.To) == 2 && len(m.Cc) == 2 && len(m.Bcc) == 2 && m.Bcc[1].String() == "6/TYPE=PLMN"
			}},
		{"Subject utf-8", `96 04 EA "Hi" 00`, func(m *Message) bool { return m.Subject.Charset == CharsetUTF8 && m.Subject.Text() == "Hi" }},
		{"Subject with Length-quote", "96 1F 22 EA" + repeatHex("41", 32) + " 00", func(m *Message) bool { return len(m.Subject.Raw) == 32 }},
		{"Subject UTF-16 with BOM", `96 0B 02 03 F7 7F FF FE 48 00 69 00 00`, func(m *Message) bool { return m.Subject.Text() == "Hi" }},
		{"Message-Class auto", "8A 83", func(m *Message) bool { return m.MessageClass == "auto" }},
		{"Message-Class token", `8A "x-class" 00`, func(m *Message) bool { return m.MessageClass == "x-class" }},
		{"Expiry relative", "88 05 81 03 02 A3 00", func(m *Message) bool { return m.Expiry.Relative == 48*time.Hour }},
		{"Expiry relative short", "88 02 81 90", func(m *Message) bool { return m.Expiry.Relative == 16*time.Second }},
		{"Delivery-Time absolute", "87 06 80 04 3E 2C A8 F0", func(m *Message) bool {
			return m.DeliveryTime.Absolute.Equal(time.Date(2003, 1, 21, 1, 57, 4, 0, time.UTC))
		}},
		{"Date", "85 04 3E 2C A8 F0", func(m *Message) bool { return m.Date.Equal(time.Date(2003, 1, 21, 1, 57, 4, 0, time.UTC)) }},
		{"Priority, reports, visibility", "8F 82 86 80 90 81 94 80 91 80", func(m *Message) bool {
			return m.Priority == PriorityHigh && m.DeliveryReport == Yes && m.ReadReport == No && m.SenderVisibility == VisibilityHide && m.ReportAllowed == Yes
		}},
		{"Response-Status and Text", `92 E2 93 "bad" 00`, func(m *Message) bool {
			return m.ResponseStatus == StatusPermanentMessageFormatCorrupt && m.ResponseText.Text() == "bad"
		}},
		{"Retrieve-Status and Text", `99 E2 9A "gone" 00`, func(m *Message) bool {
			return m.RetrieveStatus == RetrievePermanentMessageNotFound && m.RetrieveText.Text() == "gone"
		}},
		{"Status, Read-Status", "95 81 9B 81", func(m *Message) bool {
			return m.Status == DeliveryRetrieved && m.ReadStatus == ReadStatusDeletedWithoutRead
		}},
		{"Message-ID, Content-Location, Message-Size", `8B "id" 00 83 "http://x/1" 00 8E 03 01 00 00`, func(m *Message) bool {
			return m.MessageID == "id" && m.ContentLocation == "http://x/1" && m.MessageSize == 65536
		}},
		{"unknown well-known header kept", "B0 02 81 82 9F 80", func(m *Message) bool { // 0x30 Additional-headers, 0x1F Reply-Charging-Size short
			return len(m.Other) == 2 && m.Other[0].Field == 0x30 && bytes.Equal(m.Other[0].Raw, []byte{2, 0x81, 0x82}) && m.Other[1].Field == 0x1F
		}},
		{"application header kept", `"X-Foo" 00 "bar" 00`, func(m *Message) bool { return m.Other[0].Name == "X-Foo" && string(m.Other[0].Raw) == "bar\x00" }},
		{"known header of unexpected form kept", `8F "high" 00`, func(m *Message) bool { return m.Priority == 0 && m.Other[0].Field == fieldPriority }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Decode(append(unhex(t, "8C 80"), unhex(t, tc.hex)...))
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(m) {
				t.Errorf("decoded %+v", m)
			}
			roundTrip(t, m)
		})
	}
}

func repeatHex(h string, n int) string {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		b.WriteString(" " + h)
	}
	return b.String()
}

// WAP-230-WSP §8.4.2.24 Content-type-value and Table 38 parameters, in
// their WSP 1.2 (0x89 type, 0x8A start: Text-string) and WSP 1.4 (0x99
// start, 0x97 name, 0x98 filename: Text-value) forms.
func TestWSP_8_4_2_24_ContentType(t *testing.T) {
	for _, tc := range []struct {
		name, hex string
		want      ContentType
	}{
		{"well-known short", "B3", ContentType{MediaType: MediaMultipartRelated}},
		{"text", `"image/x-foo" 00`, ContentType{MediaType: "image/x-foo"}},
		{"upper-case text", `"Image/JPEG" 00`, ContentType{MediaType: "image/jpeg"}},
		{"WSP 1.2 type and start", `18 B3 89 "application/smil" 00 8A "<0>" 00`,
			ContentType{MediaType: MediaMultipartRelated, Params: []Param{{"type", MediaSMIL}, {"start", "<0>"}}}},
		{"WSP 1.2 type as short code", `06 B3 89 83 8A "a" 00`,
			ContentType{MediaType: MediaMultipartRelated, Params: []Param{{"type", "text/plain"}, {"start", "a"}}}},
		{"WSP 1.4 start, name, filename as Text-value", `18 B3 99 22 "<0>" 00 97 "a.txt" 00 98 22 "b c.txt" 00`,
			ContentType{MediaType: MediaMultipartRelated, Params: []Param{{"start", "<0>"}, {"name", "a.txt"}, {"filename", "b c.txt"}}}},
		{"charset utf-8 and us-ascii, Any-charset", `07 83 81 EA 81 83 81 80`,
			ContentType{MediaType: "text/plain", Params: []Param{{"charset", "utf-8"}, {"charset", "us-ascii"}, {"charset", "*"}}}},
		{"charset as long integer (UTF-16)", `05 83 81 02 03 F7`,
			ContentType{MediaType: "text/plain", Params: []Param{{"charset", "utf-16"}}}},
		{"untyped parameter", `0F 83 "Format" 00 "flowed" 00`,
			ContentType{MediaType: "text/plain", Params: []Param{{"format", "flowed"}}}},
		{"long-integer media code", `02 01 3E`, ContentType{MediaType: MediaMMSMessage}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ct, rest, err := readContentType(unhex(t, tc.hex))
			if err != nil || len(rest) != 0 {
				t.Fatalf("readContentType: %v, %d octets left", err, len(rest))
			}
			if !equalCT(ct, tc.want) {
				t.Errorf("got %+v, want %+v", ct, tc.want)
			}
			enc, err := appendContentType(nil, ct)
			if err != nil {
				t.Fatal(err)
			}
			ct2, _, err := readContentType(enc)
			if err != nil || !equalCT(ct2, ct) {
				t.Errorf("re-encoded % X decodes to %+v, %v", enc, ct2, err)
			}
		})
	}
	// What Encode writes for multipart/related: the WSP 1.2 codes.
	enc, _ := appendContentType(nil, ContentType{MediaType: MediaMultipartRelated, Params: []Param{{"start", "<0>"}, {"type", MediaSMIL}}})
	if want := unhex(t, `18 B3 8A "<0>" 00 89 "application/smil" 00`); !bytes.Equal(enc, want) {
		t.Errorf("encoded % X, want % X", enc, want)
	}
	if _, _, err := readContentType(unhex(t, "FF")); !errors.Is(err, ErrMalformed) {
		t.Errorf("unassigned media code 0x7F: %v, want ErrMalformed", err)
	}
}

func equalCT(a, b ContentType) bool {
	if a.MediaType != b.MediaType || len(a.Params) != len(b.Params) {
		return false
	}
	for i := range a.Params {
		if a.Params[i] != b.Params[i] {
			return false
		}
	}
	return true
}

// WAP-230-WSP §8.5 multipart, with the part headers of §8.4.2: Content-ID
// as Quoted-string (C0 22 …) and as the iPhone's bare text, Content-Location
// (8E), Content-Disposition (AE, and C5 in WSP 1.4) with filename, and
// Content-Transfer-Encoding as an application header.
func TestWSP_8_5_Multipart(t *testing.T) {
	pdu := unhex(t, `8C 80 98 "1" 00 8D 92 89 01 81 84 A3
		03
		0A 02 83 C0 22 "<t>" 00 8E "t" 00    "hi"
		0E 03 9E C0 "1" 00 AE 08 81 86 "a.jpg" 00    FF D8 FF
		22 04 83 "Content-Transfer-Encoding" 00 "base64" 00    "aGkh"`)
	m, err := Decode(pdu)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Parts) != 3 {
		t.Fatalf("%d parts", len(m.Parts))
	}
	p0, p1, p2 := m.Parts[0], m.Parts[1], m.Parts[2]
	if p0.ContentType.MediaType != "text/plain" || p0.ContentID != "<t>" || p0.ContentLocation != "t" || string(p0.Data) != "hi" {
		t.Errorf("part 0 = %+v", p0)
	}
	if p1.ContentType.MediaType != "image/jpeg" || p1.ContentID != "1" || p1.ContentDisposition != "attachment" ||
		len(p1.DispositionParams) != 1 || p1.DispositionParams[0] != (Param{"filename", "a.jpg"}) || !bytes.Equal(p1.Data, []byte{0xFF, 0xD8, 0xFF}) {
		t.Errorf("part 1 = %+v", p1)
	}
	if p2.ContentTransferEncoding != "base64" || string(p2.Data) != "hi!" {
		t.Errorf("part 2 = %+v", p2)
	}
	roundTrip(t, m)

	// WSP 1.4 Content-Disposition code 0x45 with a Text-value filename.
	m, err = Decode(unhex(t, `8C 80 84 A3 01 0A 01 83 C5 07 82 98 22 "a b" 00 "x"`))
	if err != nil {
		t.Fatal(err)
	}
	if p := m.Parts[0]; p.ContentDisposition != "inline" || p.DispositionParams[0] != (Param{"filename", "a b"}) {
		t.Errorf("WSP 1.4 disposition: %+v", p)
	}
	roundTrip(t, m)
}

// PROTOCOL-NOTES.md worked example: the M-Notification.ind inside the WAP
// push that gammu decodes as an MMS indicator. NewNotificationInd with the
// same values must produce these bytes exactly.
func TestProtocolNotes_NotificationInd(t *testing.T) {
	want := unhex(t, `8C 82 98 "T0001" 00 8D 92 89 18 80 "+15551234567/TYPE=PLMN" 00 96 "Hi" 00 8A 80
		8E 02 30 39 88 05 81 03 02 A3 00 83 "http://192.0.2.10/mms/T0001" 00`)
	m, err := Decode(want)
	if err != nil {
		t.Fatal(err)
	}
	if m.Type != TypeNotificationInd || m.TransactionID != "T0001" || m.Version != Version12 ||
		m.From.String() != "+15551234567/TYPE=PLMN" || m.Subject.Text() != "Hi" || m.MessageClass != "personal" ||
		m.MessageSize != 12345 || m.Expiry.Relative != 48*time.Hour || m.ContentLocation != "http://192.0.2.10/mms/T0001" {
		t.Errorf("decoded %+v", m)
	}
	n := NewNotificationInd("T0001", "http://192.0.2.10/mms/T0001", 12345, 48*time.Hour)
	n.From = PLMN("+15551234567")
	n.Subject = Text("Hi")
	got, err := n.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("NewNotificationInd encodes\n% X\nwant\n% X", got, want)
	}
}

// The PDUs a phone sends back that the corpus has no sample of.
func TestMMSENC_PhoneIndications(t *testing.T) {
	// python-messaging test_encoding_m_sendnotifyresp_ind (MANIFEST).
	m, err := Decode(unhex(t, `8C 83 98 "NOK5AIdhfTMYSG4JeIgAAsHtp72AGAAAAAAAA" 00 8D 90 95 81`))
	if err != nil {
		t.Fatal(err)
	}
	if m.Type != TypeNotifyRespInd || m.TransactionID != "NOK5AIdhfTMYSG4JeIgAAsHtp72AGAAAAAAAA" || m.Version != Version10 || m.Status != DeliveryRetrieved {
		t.Errorf("M-NotifyResp.ind: %+v", m)
	}
	roundTrip(t, m)
	// OMA-MMS-ENC §6.7.2 M-Read-Rec.ind: Message-ID, To, From, Date, Read-Status.
	m, err = Decode(unhex(t, `8C 87 8D 92 8B "m-1" 00 97 "+15550001/TYPE=PLMN" 00 89 01 81 85 04 3E 2C A8 F0 9B 80`))
	if err != nil {
		t.Fatal(err)
	}
	if m.Type != TypeReadRecInd || m.MessageID != "m-1" || !m.From.Insert || m.ReadStatus != ReadStatusRead || m.Type.String() != "m-read-rec-ind" {
		t.Errorf("M-Read-Rec.ind: %+v", m)
	}
	roundTrip(t, m)
	// §6.4 M-Acknowledge.ind with Report-Allowed.
	m, err = Decode(unhex(t, `8C 85 98 "t9" 00 8D 92 91 80`))
	if err != nil {
		t.Fatal(err)
	}
	if m.Type != TypeAcknowledgeInd || m.TransactionID != "t9" || m.ReportAllowed != Yes {
		t.Errorf("M-Acknowledge.ind: %+v", m)
	}
	roundTrip(t, m)
}

// A part whose media type is multipart but whose data is not a WSP
// multipart (a textual MIME body) is kept as data, not refused.
func TestNestedMultipartNotWSP(t *testing.T) {
	mime := "--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b--\r\n"
	pdu := append(unhex(t, `8C 80 84 A3 01`), appendUintvar(nil, 1)...)
	pdu = append(pdu, appendUintvar(nil, uint32(len(mime)))...)
	pdu = append(pdu, 0xA3) // application/vnd.wap.multipart.mixed
	pdu = append(pdu, mime...)
	m, err := Decode(pdu)
	if err != nil {
		t.Fatal(err)
	}
	if p := m.Parts[0]; string(p.Data) != mime || p.Parts != nil {
		t.Errorf("part = %+v", p)
	}
	roundTrip(t, m)
}

// RFC 2045 §6.7 and §6.8: what Encode writes as quoted-printable or base64
// decodes back to the same octets, whatever they are.
func TestRFC2045_TransferEncodingRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	random := make([]byte, 3000)
	for i := range random {
		random[i] = byte(r.Uint32())
	}
	datas := [][]byte{
		[]byte("plain"),
		[]byte("trailing space \r\nand tab\t\nand = signs ==\n"),
		[]byte(strings.Repeat("long line without breaks ", 40) + " "),
		[]byte("ends with space "),
		[]byte("\x00\x01\xFF\r\r\n\n."),
		random,
	}
	for _, cte := range []string{"quoted-printable", "base64", "BASE64", "7bit"} {
		for i, d := range datas {
			m := &Message{Type: TypeRetrieveConf, ContentType: ContentType{MediaType: MediaMultipartMixed},
				Parts: []Part{{ContentType: ContentType{MediaType: "application/octet-stream"}, ContentTransferEncoding: cte, Data: d}}}
			roundTrip(t, m)
			if !bytes.Equal(m.Parts[0].Data, d) {
				t.Errorf("%s data %d changed", cte, i)
			}
		}
	}
}
