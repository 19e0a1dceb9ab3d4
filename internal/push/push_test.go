package push

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/modem"
	"github.com/homemmsc/homemmsc/internal/modem/at"
	"github.com/homemmsc/homemmsc/internal/modem/sms"
)

// Segments agrees with the SMS encoder for every PDU size up to the limit.
func TestSegmentsMatchEncoder(t *testing.T) {
	for n := 1; n <= (sms.MaxParts+1)*perPart; n++ {
		pdus, err := sms.Encode(sms.WAPPush("+15551234567", 1, make([]byte, n), 7))
		switch got := Segments(n); {
		case got > sms.MaxParts:
			if !errors.Is(err, sms.ErrTooLong) {
				t.Fatalf("%d octets: Segments %d, but the encoder says %v", n, got, err)
			}
		case err != nil || len(pdus) != got:
			t.Fatalf("%d octets: Segments %d, encoder %d parts (%v)", n, got, len(pdus), err)
		}
	}
	if Segments(OneSegment) != 1 || Segments(OneSegment+1) != 2 {
		t.Errorf("the one-SMS boundary is not at %d octets", OneSegment)
	}
}

func TestNotificationFits(t *testing.T) {
	for _, c := range notices() {
		t.Run(c.name, func(t *testing.T) {
			in := c.message()
			before, _ := in.Encode()
			b, err := Notification(in)
			if err != nil {
				t.Fatal(err)
			}
			if after, _ := in.Encode(); !bytes.Equal(before, after) {
				t.Errorf("Notification modified its argument")
			}
			if got := Segments(len(b)); got != c.segments {
				t.Errorf("%d octets take %d SMS, want %d", len(b), got, c.segments)
			}
			m, err := mms.Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			checkNotice(t, c, m)
		})
	}
}

func checkNotice(t *testing.T, c notice, m *mms.Message) {
	t.Helper()
	if m.Type != mms.TypeNotificationInd || m.TransactionID != c.tid || m.Version != mms.Version12 ||
		m.ContentLocation != c.url || m.MessageSize != c.size || m.MessageClass != "personal" ||
		m.Expiry.Relative != 7*24*time.Hour {
		t.Errorf("decoded %+v", m)
	}
	if got := m.From.String(); (got != "") != c.wantFrom || c.wantFrom && got != c.from+"/TYPE=PLMN" {
		t.Errorf("From %q; want kept: %v", got, c.wantFrom)
	}
	if got := m.Subject.Text(); (got != "") != c.wantSubject || c.wantSubject && got != c.subject {
		t.Errorf("Subject %q; want kept: %v", got, c.wantSubject)
	}
}

// From and Subject go as plain ASCII Text-strings or not at all.
func TestNotificationPlainText(t *testing.T) {
	n := mms.NewNotificationInd("T", "http://h/x", 1, time.Hour)
	n.Subject = mms.EncodedString{Charset: mms.CharsetUTF8, Raw: []byte("Hello")}
	n.From = mms.Address{Value: mms.EncodedString{Charset: mms.CharsetUSASCII, Raw: []byte("+15551234567/TYPE=PLMN")}}
	b, err := Notification(n)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("\x96Hello\x00")) || !bytes.Contains(b, []byte("\x89\x18\x80+15551234567/TYPE=PLMN\x00")) {
		t.Errorf("ASCII with a charset not written as plain text: % X", b)
	}
	for _, n := range []*mms.Message{n, mms.NewNotificationInd("T", "http://h/x", 1, time.Hour)} {
		n.Subject = mms.EncodedString{Raw: []byte{}}
		n.From = mms.Address{Insert: true}
		if b, _ := Notification(n); bytes.IndexByte(b, 0x96) >= 0 || bytes.IndexByte(b, 0x89) >= 0 {
			t.Errorf("empty Subject or insert-address From written: % X", b)
		}
	}
}

func TestNotificationRefusesOtherPDUs(t *testing.T) {
	d := mms.NewDeliveryInd("id", mms.PLMN("+15551234567"), time.Unix(1e9, 0), mms.DeliveryRetrieved)
	if _, err := Notification(d); !errors.Is(err, ErrNotNotification) {
		t.Errorf("M-Delivery.ind: %v", err)
	}
	for name, n := range map[string]*mms.Message{
		"Content-Location": mms.NewNotificationInd("T", "", 1, time.Hour),
		"Transaction-Id":   mms.NewNotificationInd("", "http://h/x", 1, time.Hour),
		"Message-Size":     mms.NewNotificationInd("T", "http://h/x", 0, time.Hour),
		"Expiry":           mms.NewNotificationInd("T", "http://h/x", 1, 0),
	} {
		if _, err := Notification(n); !errors.Is(err, ErrNotNotification) {
			t.Errorf("no %s: %v", name, err)
		}
	}
}

// A push is one binary SMS to port 2948 from 9200 carrying the WSP push
// header and the PDU unchanged.
func TestPushOneSMS(t *testing.T) {
	p, r := newTest()
	b, err := Notification(notices()[0].message())
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Push(context.Background(), "+15557654321", b); err != nil {
		t.Fatal(err)
	}
	pdus := r.take()
	if len(pdus) != 1 {
		t.Fatalf("%d SMS, want 1", len(pdus))
	}
	s, err := sms.DecodeSubmit(pdus[0].Bytes)
	if err != nil {
		t.Fatal(err)
	}
	want := append([]byte{0x12, 0x06, 0x03, 0xBE, 0xAF, 0x84}, b...)
	if s.To != "+15557654321" || s.DCS != 0x04 || s.DstPort != 2948 || s.SrcPort != 9200 || s.Parts != 0 || !bytes.Equal(s.Data, want) {
		t.Errorf("SMS %+v\ndata % X\nwant % X", s, s.Data, want)
	}
}

// Each multi-SMS message to a destination takes the next reference; other
// destinations have their own; every push takes the next transaction id.
func TestReferencesPerDestination(t *testing.T) {
	p, r := newTest()
	long := make([]byte, 300)
	ctx := context.Background()
	type sent struct {
		to  string
		ref int
		tid byte
	}
	var got []sent
	for _, to := range []string{"+15550000001", "+15550000001", "+15550000002", "+15550000001"} {
		if err := p.Push(ctx, to, long); err != nil {
			t.Fatal(err)
		}
		pdus := r.take()
		first, _ := sms.DecodeSubmit(pdus[0].Bytes)
		for _, pdu := range pdus {
			s, _ := sms.DecodeSubmit(pdu.Bytes)
			if !s.Ref16 || s.Ref != first.Ref || s.Parts != len(pdus) {
				t.Errorf("part %d/%d ref %d (16-bit %v), first part ref %d", s.Part, s.Parts, s.Ref, s.Ref16, first.Ref)
			}
		}
		got = append(got, sent{to, first.Ref, first.Data[0]})
	}
	want := []sent{{"+15550000001", 0x3456, 0x12}, {"+15550000001", 0x3457, 0x13}, {"+15550000002", 0x3456, 0x14}, {"+15550000001", 0x3458, 0x15}}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("push %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestBadNumbers(t *testing.T) {
	p, r := newTest()
	for _, to := range []string{"", "+", "0612345678", "15551234567", "+0123456", "+1555123456789012", "+1555-123", "+1555 123", "+١٢٣"} {
		err := p.Push(context.Background(), to, []byte{0x8C})
		if !errors.Is(err, ErrBadNumber) || !errors.Is(err, sms.ErrBadNumber) || Temporary(err) {
			t.Errorf("Push to %q: %v, want a permanent ErrBadNumber", to, err)
		}
		if err := p.Text(context.Background(), to, "x"); !errors.Is(err, ErrBadNumber) {
			t.Errorf("Text to %q: %v", to, err)
		}
	}
	if n := len(r.take()); n != 0 {
		t.Errorf("%d SMS sent to bad numbers", n)
	}
	for _, to := range []string{"+1", "+447700900123", "+123456789012345"} {
		if !ValidNumber(to) {
			t.Errorf("ValidNumber(%q) = false", to)
		}
	}
}

func TestTooLarge(t *testing.T) {
	p, r := newTest()
	n := sms.MaxParts*perPart - wspHeader + 1
	if err := p.Push(context.Background(), "+15551234567", make([]byte, n)); !errors.Is(err, ErrTooLarge) || Temporary(err) {
		t.Errorf("push of %d octets: %v", n, err)
	}
	if err := p.Text(context.Background(), "+15551234567", strings.Repeat("x", 160*sms.MaxParts)); !errors.Is(err, ErrTooLarge) || Temporary(err) {
		t.Errorf("long text: %v", err)
	}
	if err := p.Push(context.Background(), "+15551234567", make([]byte, n-1)); err != nil {
		t.Errorf("push of %d octets: %v", n-1, err)
	}
	if got := len(r.take()); got != sms.MaxParts {
		t.Errorf("largest push took %d SMS, want %d", got, sms.MaxParts)
	}
}

// Errors keep the modem's classification: retry on an absent modem or
// +CMS ERROR: 500, not on 304 (our PDU) or 305.
func TestErrorsClassified(t *testing.T) {
	cases := []struct {
		err       error
		temporary bool
	}{
		{modem.ErrAbsent, true},
		{at.ErrTimeout, true},
		{&at.CMSError{Code: 500, Text: "500"}, true},
		{&at.CMSError{Code: 304, Text: "304"}, false},
		{&at.CMSError{Code: 305, Text: "305"}, false},
	}
	for _, c := range cases {
		for _, failAt := range []int{0, 1} { // the first part, or the second of two
			p, r := newTest()
			r.fail = map[int]error{failAt: c.err}
			err := p.Push(context.Background(), "+15551234567", make([]byte, 200))
			if !errors.Is(err, c.err) || Temporary(err) != c.temporary {
				t.Errorf("part %d fails with %v: Push returns %v (temporary %v)", failAt+1, c.err, err, Temporary(err))
			}
			if failAt == 1 && !strings.Contains(err.Error(), "part 2 of 2") {
				t.Errorf("a failed second part is not named: %v", err)
			}
		}
	}
}

// The fallback text goes as plain SMS: GSM 7-bit or UCS-2, split with a
// 16-bit reference, and reads back whole.
func TestText(t *testing.T) {
	p, r := newTest()
	for _, text := range []string{
		"MMS from +15551234567: http://192.0.2.10:8080/m/AbCdEfGhIjKlMnOpQrStUv",
		strings.Repeat("Photo from Zoë 😀 ", 8) + "http://192.0.2.10:8080/m/AbCdEfGhIjKlMnOpQrStUv",
	} {
		if err := p.Text(context.Background(), "+15557654321", text); err != nil {
			t.Fatal(err)
		}
		var got strings.Builder
		pdus := r.take()
		for _, pdu := range pdus {
			s, err := sms.DecodeSubmit(pdu.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			if s.DstPort != -1 || len(pdus) > 1 && !s.Ref16 {
				t.Errorf("text part %+v", s)
			}
			got.WriteString(s.Text)
		}
		if got.String() != text {
			t.Errorf("text reads back %q, want %q", got.String(), text)
		}
	}
}
