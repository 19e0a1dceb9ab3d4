package mms

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/homemmsc/homemmsc/internal/golden"
	"github.com/homemmsc/homemmsc/internal/mms/mmstest"
)

// The tshark cross-checks: internal/mms/mmstest runs Wireshark's MMSE
// dissector on the PDUs.

func TestGoldenTshark(t *testing.T) {
	gs := goldens()
	pdus := make([][]byte, len(gs))
	for i, g := range gs {
		pdus[i] = golden.Read(t, filepath.Join("testdata", g.file))
	}
	res := mmstest.Tshark(t, pdus)
	for i, g := range gs {
		t.Run(g.file, func(t *testing.T) {
			d := res[i]
			for _, p := range d.Problems() {
				t.Errorf("tshark: %s", p)
			}
			for f, want := range g.fields {
				got := d.Shows(f)
				if len(got) == 1 && f == "mmse.subject" && got[0] == asWireshark40(want) {
					// Wireshark 4.0 shows an Encoded-string-value's
					// octets as ASCII, U+FFFD for each octet ≥ 0x80;
					// check the octets themselves instead.
					if !d.HoldsOctets(f, want) {
						t.Errorf("tshark %s octets %s do not hold %q", f, d[f][0].Value, want)
					}
					continue
				}
				if len(got) != 1 || got[0] != want {
					t.Errorf("tshark %s = %q, want [%q]", f, got, want)
				}
			}
			var parts []string
			for _, n := range d["wsp.multipart"] {
				// "Part: 1, content-type: application/smil"
				_, ct, _ := strings.Cut(n.ShowName, "content-type: ")
				parts = append(parts, ct)
			}
			if strings.Join(parts, ",") != strings.Join(g.parts, ",") {
				t.Errorf("tshark parts %q, want %q", parts, g.parts)
			}
			if len(g.parts) > 0 {
				m, _ := Decode(pdus[i])
				var ids []string
				for _, p := range m.Parts {
					ids = append(ids, `"`+p.ContentID+`"`)
				}
				if got := d.Shows("wsp.header.content_id"); strings.Join(got, ",") != strings.Join(ids, ",") {
					t.Errorf("tshark Content-IDs %q, want %q", got, ids)
				}
			}
		})
	}
}

// asWireshark40 is how Wireshark 4.0 shows non-ASCII text in an
// Encoded-string-value: one U+FFFD per octet ≥ 0x80.
func asWireshark40(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			b.WriteString("\uFFFD")
		} else {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// The oracle must be able to say no: the truncated corpus PDU is reported
// malformed.
func TestTsharkSeesMalformed(t *testing.T) {
	b := corpusFiles(t)["derived__send-req-truncated-in-headers.bin"]
	d := mmstest.Tshark(t, [][]byte{b})[0]
	if len(d.Problems()) == 0 {
		t.Errorf("tshark reported no problem in a truncated PDU: the check cannot fail")
	}
}

// TestCorpusTshark checks our decoding of every corpus PDU against
// Wireshark's: type, transaction id, version, addresses, message id,
// location, size, and the parts' content types.
func TestCorpusTshark(t *testing.T) {
	files := corpusFiles(t)
	var names []string
	var pdus [][]byte
	for _, w := range corpusTable {
		b := files[w.file]
		if w.err || len(b) > mmstest.MaxPcapRecord-256 {
			continue // malformed, or too big for one pcap record
		}
		names = append(names, w.file)
		pdus = append(pdus, b)
	}
	res := mmstest.Tshark(t, pdus)
	for i, name := range names {
		t.Run(name, func(t *testing.T) {
			m, err := Decode(pdus[i])
			if err != nil {
				t.Fatal(err)
			}
			compareTshark(t, m, res[i])
		})
	}
}

func compareTshark(t *testing.T, m *Message, d mmstest.Dissected) {
	t.Helper()
	one := func(f, want string) {
		t.Helper()
		got := d.Shows(f)
		if want == "" && len(got) == 0 {
			return
		}
		if len(got) != 1 || got[0] != want {
			t.Errorf("tshark %s = %q, we decode %q", f, got, want)
		}
	}
	one("mmse.message_type", fmt.Sprintf("0x%02x", byte(m.Type)))
	one("mmse.transaction_id", m.TransactionID)
	one("mmse.mms_version", m.Version.String())
	one("mmse.message_id", m.MessageID)
	one("mmse.content_location", m.ContentLocation)
	if m.MessageSize != 0 {
		one("mmse.message_size", strconv.FormatUint(m.MessageSize, 10))
	}
	if !m.From.Insert && m.From.Value.Charset == 0 {
		one("mmse.from", m.From.String())
	}
	var to []string
	for _, a := range m.To {
		to = append(to, asWireshark40(string(a.Value.Raw)))
	}
	if got := d.Shows("mmse.to"); strings.Join(got, "|") != strings.Join(to, "|") {
		t.Errorf("tshark To %q, we decode %q", got, to)
	}
	var parts []string
	for _, n := range d["wsp.multipart"] {
		_, ct, _ := strings.Cut(n.ShowName, "content-type: ")
		parts = append(parts, strings.ToLower(ct))
	}
	var ours []string
	for _, p := range m.Parts {
		ours = append(ours, p.ContentType.MediaType)
	}
	if strings.Join(parts, ",") != strings.Join(ours, ",") {
		t.Errorf("tshark parts %q, we decode %q", parts, ours)
	}
}
