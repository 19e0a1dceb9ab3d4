package mms

import (
	"bytes"
	"errors"
	"runtime"
	"strings"
	"testing"
)

// sendReqHead is an M-Send.req up to and including a multipart/mixed
// Content-Type; a multipart body follows.
const sendReqHead = `8C 80 98 "1" 00 8D 92 89 01 81 97 "+1555/TYPE=PLMN" 00 84 A3`

func TestLimitMaxPDU(t *testing.T) {
	b := make([]byte, MaxPDU+1)
	copy(b, unhex(t, "8C 80"))
	if _, err := Decode(b); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Decode of MaxPDU+1 octets: %v, want ErrTooLarge", err)
	}
	m := &Message{Type: TypeRetrieveConf, ContentType: ContentType{MediaType: "image/jpeg"}, Body: make([]byte, MaxPDU)}
	if _, err := m.Encode(); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Encode of a MaxPDU body: %v, want ErrTooLarge", err)
	}
}

// A part count of 100,000 is refused from the count alone, before
// anything is allocated for the parts.
func TestLimitPartCount100000(t *testing.T) {
	b := append(unhex(t, sendReqHead), appendUintvar(nil, 100000)...)
	b = append(b, make([]byte, 64)...)
	_, err := Decode(b)
	if !errors.Is(err, ErrTooManyParts) {
		t.Fatalf("Decode: %v, want ErrTooManyParts", err)
	}
	// 100,000 Parts would take tens of MB; refusing takes a few hundred
	// octets (the error values).
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 0; i < 10; i++ {
		_, _ = Decode(b)
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / 10; per > 16<<10 {
		t.Errorf("%d octets allocated to refuse the count: the parts were allocated", per)
	}
}

func TestLimitMaxParts(t *testing.T) {
	one := unhex(t, `01 00 83`) // headers 1, data 0, text/plain
	build := func(n int) []byte {
		b := append(unhex(t, sendReqHead), appendUintvar(nil, uint32(n))...)
		for i := 0; i < n; i++ {
			b = append(b, one...)
		}
		return b
	}
	m, err := Decode(build(MaxParts))
	if err != nil || len(m.Parts) != MaxParts {
		t.Fatalf("MaxParts parts: %v", err)
	}
	if _, err := Decode(build(MaxParts + 1)); !errors.Is(err, ErrTooManyParts) {
		t.Errorf("MaxParts+1 parts: %v, want ErrTooManyParts", err)
	}
	// More entries announced than the octets can hold.
	b := append(unhex(t, sendReqHead), 0x05)
	b = append(b, one...)
	if _, err := Decode(b); !errors.Is(err, ErrTruncated) {
		t.Errorf("5 entries announced, 1 present: %v, want ErrTruncated", err)
	}
}

// nested returns a PDU whose body nests multiparts depth deep.
func nested(t testing.TB, depth int) []byte {
	body := unhex(t, `01 01 01 83 "x"`) // one text/plain part
	for d := 1; d < depth; d++ {
		entry := appendUintvar(nil, 1)
		entry = appendUintvar(entry, 1)
		entry = appendUintvar(entry, uint32(len(body)))
		entry = append(entry, 0xA3)
		body = append(entry, body...)
	}
	return append(unhex(t, sendReqHead), body...)
}

func TestLimitMaxDepth(t *testing.T) {
	m, err := Decode(nested(t, MaxDepth))
	if err != nil {
		t.Fatalf("depth MaxDepth: %v", err)
	}
	p := m.Parts[0]
	for d := 2; d < MaxDepth; d++ {
		p = p.Parts[0]
	}
	if string(p.Parts[0].Data) != "x" {
		t.Errorf("innermost part %+v", p)
	}
	roundTrip(t, m)
	if _, err := Decode(nested(t, MaxDepth+1)); !errors.Is(err, ErrTooDeep) {
		t.Errorf("depth MaxDepth+1: %v, want ErrTooDeep", err)
	}
}

func TestLimitMaxHeaders(t *testing.T) {
	b := unhex(t, "8C 80")
	for i := 0; i < MaxHeaders; i++ {
		b = append(b, 0x8F, 0x81)
	}
	if _, err := Decode(b); !errors.Is(err, ErrTooManyHeaders) {
		t.Errorf("MaxHeaders+1 headers: %v, want ErrTooManyHeaders", err)
	}
	if _, err := Decode(b[:len(b)-2]); err != nil {
		t.Errorf("MaxHeaders headers: %v", err)
	}
}

func TestLimitMaxString(t *testing.T) {
	long := strings.Repeat("a", MaxString+1)
	b := append(unhex(t, "8C 80 98"), long...)
	b = append(b, 0)
	if _, err := Decode(b); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Transaction-Id of MaxString+1: %v, want ErrTooLarge", err)
	}
	m := &Message{Type: TypeSendConf, TransactionID: long}
	if _, err := m.Encode(); !errors.Is(err, ErrInvalid) {
		t.Errorf("Encode of a MaxString+1 Transaction-Id: %v, want ErrInvalid", err)
	}
}

// Every prefix of every corpus PDU decodes or fails with one of the
// sentinels; no panic, and every error is a *DecodeError.
func TestTruncatedPrefixes(t *testing.T) {
	for name, b := range corpusFiles(t) {
		n := len(b)
		if n > 4096 {
			n = 4096
		}
		for i := 0; i < n; i++ {
			_, err := Decode(b[:i])
			if err == nil {
				continue
			}
			var de *DecodeError
			if !errors.As(err, &de) || de.Offset < 0 || de.Offset > i {
				t.Fatalf("%s[:%d]: error %v is not a *DecodeError within the input", name, i, err)
			}
			if !isSentinel(err) {
				t.Fatalf("%s[:%d]: error %v wraps no sentinel", name, i, err)
			}
		}
	}
}

func isSentinel(err error) bool {
	for _, s := range []error{ErrTooLarge, ErrTooManyParts, ErrTooManyHeaders, ErrTooDeep, ErrTruncated, ErrMalformed, ErrNotMMS} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

func TestDecodeErrorOffset(t *testing.T) {
	b := unhex(t, `8C 80 98 "1" 00 97 "+15550001"`) // To without terminator at offset 5
	_, err := Decode(b)
	var de *DecodeError
	if !errors.As(err, &de) || de.Offset != 5 || de.What != "header To" || !errors.Is(err, ErrTruncated) {
		t.Fatalf("error %#v", err)
	}
	if !strings.HasPrefix(err.Error(), "mms: decoding header To at offset 5: ") {
		t.Errorf("message %q", err.Error())
	}
}

func TestNotMMS(t *testing.T) {
	for _, in := range []string{"", "8C", "80 80", `"GET /" 00`, "8C 20"} {
		if _, err := Decode(unhex(t, in)); !errors.Is(err, ErrNotMMS) {
			t.Errorf("Decode(%s): %v, want ErrNotMMS", in, err)
		}
	}
}

func TestEncodeInvalid(t *testing.T) {
	for name, m := range map[string]*Message{
		"no type":         {},
		"NUL in subject":  {Type: TypeSendConf, Subject: EncodedString{Raw: []byte("a\x00b")}},
		"NUL in id":       {Type: TypeSendConf, MessageID: "a\x00"},
		"priority 0x05":   {Type: TypeSendConf, Priority: 5},
		"bad param name":  {Type: TypeRetrieveConf, ContentType: ContentType{MediaType: "text/plain", Params: []Param{{"\x01x", "y"}}}},
		"empty part type": {Type: TypeRetrieveConf, ContentType: ContentType{MediaType: MediaMultipartMixed}, Parts: []Part{{Data: []byte("x")}}},
		"raw header":      {Type: TypeSendConf, Other: []Header{{Field: 0x30, Raw: []byte{5, 1}}}},
		"unknown CTE":     {Type: TypeRetrieveConf, ContentType: ContentType{MediaType: MediaMultipartMixed}, Parts: []Part{{ContentType: ContentType{MediaType: "text/plain"}, ContentTransferEncoding: "x-uue"}}},
	} {
		if _, err := m.Encode(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Encode error %v, want ErrInvalid", name, err)
		}
	}
}

// AppendEncode appends to dst and leaves dst unchanged on error.
func TestAppendEncode(t *testing.T) {
	m := NewSendConf("7", Version12, StatusOk, "id")
	dst := []byte("prefix")
	out, err := m.AppendEncode(dst)
	if err != nil || !bytes.HasPrefix(out, []byte("prefix")) {
		t.Fatalf("AppendEncode: % X, %v", out, err)
	}
	enc, _ := m.Encode()
	if !bytes.Equal(out[len("prefix"):], enc) {
		t.Errorf("AppendEncode appended % X, Encode gives % X", out[6:], enc)
	}
	bad := &Message{Type: TypeSendConf, MessageID: "\x00"}
	if out, err := bad.AppendEncode(dst); err == nil || string(out) != "prefix" {
		t.Errorf("failed AppendEncode returned %q, %v", out, err)
	}
}

// A nested multipart inside a base64 part is decoded from the decoded
// octets; an error there carries an offset into them.
func TestNestedInBase64(t *testing.T) {
	inner := unhex(t, `01 01 01 83 "x"`)
	b64 := []byte("AQEBg3g=") // base64 of inner
	if string(b64) != "AQEBg3g=" || len(inner) != 5 {
		t.Fatal("test data")
	}
	hdr := append(unhex(t, `A3`), "Content-Transfer-Encoding\x00base64\x00"...)
	pdu := append(unhex(t, `8C 84 84 A3 01`), appendUintvar(nil, uint32(len(hdr)))...)
	pdu = append(pdu, appendUintvar(nil, uint32(len(b64)))...)
	pdu = append(append(pdu, hdr...), b64...)
	m, err := Decode(pdu)
	if err != nil {
		t.Fatal(err)
	}
	if p := m.Parts[0]; p.ContentTransferEncoding != "base64" || len(p.Parts) != 1 || string(p.Parts[0].Data) != "x" {
		t.Fatalf("part %+v", p)
	}
	roundTrip(t, m)
	// Too deep inside the base64: still refused.
	m.Parts[0].Parts[0] = Part{ContentType: ContentType{MediaType: MediaMultipartMixed}, Parts: []Part{{
		ContentType: ContentType{MediaType: MediaMultipartMixed}, Parts: []Part{{
			ContentType: ContentType{MediaType: MediaMultipartMixed}, Parts: []Part{{
				ContentType: ContentType{MediaType: "text/plain"}, Data: []byte("deep")}}}}}}}
	if _, err := m.Encode(); !errors.Is(err, ErrTooDeep) {
		t.Errorf("Encode of depth 5: %v, want ErrTooDeep", err)
	}
}
