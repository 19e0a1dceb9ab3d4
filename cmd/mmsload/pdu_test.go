package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/testcorpus"
)

func TestPDUTemplateExactSizes(t *testing.T) {
	for _, size := range []int{minPDUSize, 30 * 1024, 300 * 1024, 300*1024 + 1} {
		tp, err := newPDUTemplate(size, "Ltest-", 1)
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		for _, seq := range []uint64{0, 7, 999999999} {
			if got := len(tp.bytes(tp.tid(seq))); got != size {
				t.Errorf("size %d seq %d: pdu is %d bytes", size, seq, got)
			}
		}
	}
	if _, err := newPDUTemplate(minPDUSize-1, "L", 1); err == nil {
		t.Errorf("size below the minimum accepted")
	}
}

// TestPDUStructure walks the PDU by the WSP rules: every header value,
// then the multipart body, whose lengths must use up the bytes exactly.
func TestPDUStructure(t *testing.T) {
	tp, err := newPDUTemplate(30*1024, "Lwalk-", 2)
	if err != nil {
		t.Fatal(err)
	}
	p := tp.bytes(tp.tid(42))
	var fields []byte
	for {
		if len(p) == 0 {
			t.Fatal("no Content-Type header")
		}
		field := p[0]
		val, rest, err := splitValue(p[1:])
		if err != nil {
			t.Fatalf("header %#x: %v", field, err)
		}
		fields = append(fields, field)
		p = rest
		if field == hdrContentType {
			if val[1] != 0xB3 {
				t.Errorf("content type %#x, want multipart.related 0xB3", val[1])
			}
			break
		}
	}
	want := []byte{hdrMessageType, hdrTransactionID, hdrMMSVersion}
	if !bytes.Equal(fields[:3], want) {
		t.Errorf("first headers % x, want % x", fields[:3], want)
	}
	n, k, err := readUintvar(p)
	if err != nil || n != 3 {
		t.Fatalf("part count %d (%v), want 3", n, err)
	}
	p = p[k:]
	var dataStarts [][]byte
	for i := range 3 {
		hl, k1, err1 := readUintvar(p)
		dl, k2, err2 := readUintvar(p[k1:])
		if err1 != nil || err2 != nil || uint64(len(p)) < uint64(k1+k2)+hl+dl {
			t.Fatalf("part %d: bad lengths %d %d", i, hl, dl)
		}
		data := p[k1+k2+int(hl):][:dl]
		dataStarts = append(dataStarts, data[:4])
		p = p[k1+k2+int(hl)+int(dl):]
	}
	if len(p) != 0 {
		t.Errorf("%d bytes after the last part", len(p))
	}
	if !bytes.HasPrefix(dataStarts[0], []byte("<smi")) || !bytes.Equal(dataStarts[1], []byte{0xFF, 0xD8, 0xFF, 0xE0}) {
		t.Errorf("parts start % x", dataStarts)
	}
}

// TestPDUDecodes checks the hand-built PDU against the project's codec:
// what the MMSC will see of it.
func TestPDUDecodes(t *testing.T) {
	tp, err := newPDUTemplate(300*1024, "Ldec-", 4)
	if err != nil {
		t.Fatal(err)
	}
	m, err := mms.Decode(tp.bytes(tp.tid(5)))
	if err != nil {
		t.Fatal(err)
	}
	if m.Type != mms.TypeSendReq || m.TransactionID != tp.tid(5) || m.Version != mms.Version12 || !m.From.Insert || len(m.To) != 1 {
		t.Errorf("headers: type %v tid %q version %v from %+v to %v", m.Type, m.TransactionID, m.Version, m.From, m.To)
	}
	if start, _ := m.ContentType.Param("start"); start != "<smil>" {
		t.Errorf("start = %q", start)
	}
	want := []string{"application/smil", "image/jpeg", "text/plain"}
	if len(m.Parts) != len(want) {
		t.Fatalf("%d parts, want %d", len(m.Parts), len(want))
	}
	for i, p := range m.Parts {
		if p.ContentType.MediaType != want[i] {
			t.Errorf("part %d: %q, want %q", i, p.ContentType.MediaType, want[i])
		}
	}
	if n := len(m.Parts[1].Data); n < 300*1024-1024 {
		t.Errorf("photo is %d bytes", n)
	}
}

func TestPDUTransactionIDs(t *testing.T) {
	tp, err := newPDUTemplate(4096, "Lid-", 3)
	if err != nil {
		t.Fatal(err)
	}
	a, b := tp.bytes(tp.tid(1)), tp.bytes(tp.tid(2))
	if tp.sum(tp.tid(1)) == tp.sum(tp.tid(2)) {
		t.Error("two PDUs of a template have the same sha256")
	}
	if tid, ok := tp.tidOf(a); !ok || tid != tp.tid(1) {
		t.Errorf("tidOf = %q, %v; want %q", tid, ok, tp.tid(1))
	}
	if _, ok := tp.tidOf(b[:10]); ok {
		t.Error("tidOf accepted a cut PDU head")
	}
	other, _ := newPDUTemplate(4096, "Lxx-", 3)
	if _, ok := tp.tidOf(other.bytes(other.tid(1))); ok {
		t.Error("tidOf accepted another template's PDU")
	}
	var buf bytes.Buffer
	buf.ReadFrom(tp.reader(tp.tid(1)))
	if !bytes.Equal(buf.Bytes(), a) {
		t.Error("reader and bytes differ")
	}
}

func TestParseSendConf(t *testing.T) {
	ok := []byte("\x8c\x81\x98T-1\x00\x8d\x92\x92\x80\x8bmsg-7\x00")
	c, err := parseSendConf(ok)
	if err != nil || c.TransactionID != "T-1" || c.Version != 0x92 || c.Status != 0x80 || c.MessageID != "msg-7" {
		t.Errorf("parseSendConf = %+v, %v", c, err)
	}
	// A Response-Text with a charset (value-length form) is skipped.
	withText := []byte("\x8c\x81\x98T-2\x00\x8d\x90\x92\x83\x93\x04\xeaab\x00")
	if c, err := parseSendConf(withText); err != nil || c.Status != 0x83 || c.TransactionID != "T-2" {
		t.Errorf("with Response-Text: %+v, %v", c, err)
	}
	for name, b := range map[string][]byte{
		"send-req":     []byte("\x8c\x80\x98T\x00\x8d\x92"),
		"unterminated": []byte("\x8c\x81\x98T-1"),
		"cut length":   []byte("\x8c\x81\x93\x09\xea"),
		"empty":        nil,
		"text":         []byte("HTTP/1.1 200 OK"),
	} {
		if _, err := parseSendConf(b); !errors.Is(err, errNotConf) {
			t.Errorf("%s: err %v, want errNotConf", name, err)
		}
	}
	if got := checkConf(ok, "T-1"); got != "" {
		t.Errorf("checkConf(ok) = %q", got)
	}
	if got := checkConf(ok, "T-9"); got == "" {
		t.Error("checkConf accepted another Transaction-Id")
	}
}

// TestParseSendConfCorpus reads the operators' M-Send.conf of the corpus.
func TestParseSendConfCorpus(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testcorpus.Dir(t, "mms"), "mmsd__send-conf-1.bin"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := parseSendConf(b)
	// MANIFEST: transaction id 31887; version 1.0; Response-Status ok; Msg-Id 4dc268d71438a.
	if err != nil || c.TransactionID != "31887" || c.Version != 0x90 || c.Status != 0x80 || c.MessageID != "4dc268d71438a" {
		t.Errorf("parseSendConf = %+v, %v", c, err)
	}
}

func TestUintvar(t *testing.T) {
	for _, v := range []uint64{0, 1, 127, 128, 16383, 16384, 300 * 1024, 1<<32 - 1} {
		b := appendUintvar(nil, v)
		got, n, err := readUintvar(b)
		if err != nil || got != v || n != len(b) {
			t.Errorf("%d: % x → %d, %d, %v", v, b, got, n, err)
		}
	}
	if got := appendUintvar(nil, 0x87A5); !bytes.Equal(got, []byte{0x82, 0x8F, 0x25}) {
		t.Errorf("uintvar 0x87A5 = % x, want 82 8f 25 (WAP-230-WSP §8.1.2)", got)
	}
}
