package mms

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Wireshark's MMSE dissector is the independent decoder: a PDU we emit
// must decode there with the expected fields and no malformed-packet or
// expert warning. Each PDU is written to a pcap as the body of an HTTP
// response (Content-Type application/vnd.wap.mms-message, as a phone
// receives it) on link type 147 (DLT_USER0), which the user_dlts table
// maps to the HTTP dissector; HTTP hands the body to MMSE by its media
// type.

const tsharkUserDLT = `uat:user_dlts:"User 0 (DLT=147)","http","0","","0",""`

// maxPcapRecord is the largest record Wireshark reads from a pcap file
// (WTAP_MAX_PACKET_SIZE_STANDARD).
const maxPcapRecord = 262144

func tsharkPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("tshark")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("tshark not found and CI is set: .ci/run must install it (apt-get install -y tshark): %v", err)
		}
		t.Skip("tshark not installed: skipping the Wireshark cross-check (apt-get install -y tshark)")
	}
	return p
}

// httpFrame wraps a PDU as an HTTP response.
func httpFrame(pdu []byte) []byte {
	h := fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: application/vnd.wap.mms-message\r\nContent-Length: %d\r\n\r\n", len(pdu))
	return append([]byte(h), pdu...)
}

// writePcap writes one packet per frame, link type 147.
func writePcap(t *testing.T, path string, frames [][]byte) {
	t.Helper()
	var b bytes.Buffer
	le := binary.LittleEndian
	hdr := []uint32{0xA1B2C3D4, 0, 0, maxPcapRecord, 147}
	_ = binary.Write(&b, le, hdr[0])
	_ = binary.Write(&b, le, uint16(2))
	_ = binary.Write(&b, le, uint16(4))
	_ = binary.Write(&b, le, hdr[1:])
	for i, f := range frames {
		_ = binary.Write(&b, le, []uint32{uint32(i), 0, uint32(len(f)), uint32(len(f))})
		b.Write(f)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

type pdmlNode struct {
	Name     string     `xml:"name,attr"`
	Show     string     `xml:"show,attr"`
	ShowName string     `xml:"showname,attr"`
	Value    string     `xml:"value,attr"` // the field's octets in hex
	Fields   []pdmlNode `xml:"field"`
	Protos   []pdmlNode `xml:"proto"`
}

type pdmlDoc struct {
	Packets []struct {
		Protos []pdmlNode `xml:"proto"`
	} `xml:"packet"`
}

// dissected is what tshark made of one packet: every field by name, in
// order.
type dissected map[string][]pdmlNode

func (d dissected) add(n pdmlNode) {
	d[n.Name] = append(d[n.Name], n)
	for _, c := range n.Fields {
		d.add(c)
	}
	for _, c := range n.Protos {
		d.add(c)
	}
}

func (d dissected) shows(name string) []string {
	var out []string
	for _, n := range d[name] {
		out = append(out, n.Show)
	}
	return out
}

// problems lists malformed-packet markers and expert infos of severity
// Warning or Error.
func (d dissected) problems() []string {
	var out []string
	for _, n := range d["_ws.malformed"] {
		out = append(out, "malformed: "+n.ShowName)
	}
	const warning = 0x00600000 // PI_WARN; PI_ERROR is 0x00800000
	msgs := d["_ws.expert.message"]
	for i, n := range d["_ws.expert.severity"] {
		sev, _ := strconv.ParseUint(n.Show, 10, 32)
		if sev >= warning {
			msg := n.ShowName
			if i < len(msgs) {
				msg = msgs[i].Show
			}
			out = append(out, "expert: "+msg)
		}
	}
	return out
}

// runTshark dissects the PDUs and returns one dissected per PDU.
func runTshark(t *testing.T, pdus [][]byte) []dissected {
	t.Helper()
	bin := tsharkPath(t)
	frames := make([][]byte, len(pdus))
	for i, p := range pdus {
		frames[i] = httpFrame(p)
	}
	pcap := filepath.Join(t.TempDir(), "pdus.pcap")
	writePcap(t, pcap, frames)
	cmd := exec.Command(bin, "-n", "-o", tsharkUserDLT, "-r", pcap, "-T", "pdml")
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, stderr.String())
	}
	var doc pdmlDoc
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("tshark PDML: %v", err)
	}
	if len(doc.Packets) != len(pdus) {
		t.Fatalf("tshark dissected %d packets, wrote %d\n%s", len(doc.Packets), len(pdus), stderr.String())
	}
	res := make([]dissected, len(doc.Packets))
	for i, p := range doc.Packets {
		res[i] = dissected{}
		for _, pr := range p.Protos {
			res[i].add(pr)
		}
		if len(res[i]["mmse"]) == 0 {
			t.Fatalf("packet %d: tshark did not hand the body to MMSE", i)
		}
	}
	return res
}

func TestGoldenTshark(t *testing.T) {
	gs := goldens()
	pdus := make([][]byte, len(gs))
	for i, g := range gs {
		b, err := os.ReadFile(filepath.Join("testdata", g.file))
		if err != nil {
			t.Fatal(err)
		}
		pdus[i] = b
	}
	res := runTshark(t, pdus)
	for i, g := range gs {
		t.Run(g.file, func(t *testing.T) {
			d := res[i]
			for _, p := range d.problems() {
				t.Errorf("tshark: %s", p)
			}
			for f, want := range g.fields {
				got := d.shows(f)
				if len(got) == 1 && f == "mmse.subject" && got[0] == asWireshark40(want) {
					// Wireshark 4.0 shows an Encoded-string-value's
					// octets as ASCII, U+FFFD for each octet ≥ 0x80;
					// check the octets themselves instead.
					if !strings.Contains(d[f][0].Value, hex.EncodeToString([]byte(want))+"00") {
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
				if got := d.shows("wsp.header.content_id"); strings.Join(got, ",") != strings.Join(ids, ",") {
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
	d := runTshark(t, [][]byte{b})[0]
	if len(d.problems()) == 0 {
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
		if w.err || len(b) > maxPcapRecord-256 {
			continue // malformed, or too big for one pcap record
		}
		names = append(names, w.file)
		pdus = append(pdus, b)
	}
	res := runTshark(t, pdus)
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

func compareTshark(t *testing.T, m *Message, d dissected) {
	t.Helper()
	one := func(f, want string) {
		t.Helper()
		got := d.shows(f)
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
	if got := d.shows("mmse.to"); strings.Join(got, "|") != strings.Join(to, "|") {
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
