// Package mmstest checks MMS PDUs against an independent decoder:
// Wireshark's MMSE dissector, run as tshark. A PDU we emit must decode
// there with the expected fields and no malformed-packet or expert
// warning.
//
// Each PDU is written to a pcap as the body of an HTTP response
// (Content-Type application/vnd.wap.mms-message, as a phone receives it)
// on link type 147 (DLT_USER0), which the user_dlts table maps to the HTTP
// dissector; HTTP hands the body to MMSE by its media type. The package
// does not import internal/mms, so that package's own tests can use it.
package mmstest

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

const tsharkUserDLT = `uat:user_dlts:"User 0 (DLT=147)","http","0","","0",""`

// MaxPcapRecord is the largest record Wireshark reads from a pcap file
// (WTAP_MAX_PACKET_SIZE_STANDARD); a PDU must leave room for the HTTP
// response header around it.
const MaxPcapRecord = 262144

// tsharkPath finds tshark; without it the test is skipped, or fails when
// CI is set.
func tsharkPath(t testing.TB) string {
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
func writePcap(t testing.TB, path string, frames [][]byte) {
	t.Helper()
	var b bytes.Buffer
	le := binary.LittleEndian
	hdr := []uint32{0xA1B2C3D4, 0, 0, MaxPcapRecord, 147}
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

// Node is one PDML field or protocol.
type Node struct {
	Name     string `xml:"name,attr"`
	Show     string `xml:"show,attr"`
	ShowName string `xml:"showname,attr"`
	Value    string `xml:"value,attr"` // the field's octets in hex
	Fields   []Node `xml:"field"`
	Protos   []Node `xml:"proto"`
}

type pdmlDoc struct {
	Packets []struct {
		Protos []Node `xml:"proto"`
	} `xml:"packet"`
}

// Dissected is what tshark made of one packet: every field by name, in
// order.
type Dissected map[string][]Node

func (d Dissected) add(n Node) {
	d[n.Name] = append(d[n.Name], n)
	for _, c := range n.Fields {
		d.add(c)
	}
	for _, c := range n.Protos {
		d.add(c)
	}
}

// Shows returns what tshark shows for every occurrence of the field, for
// example "mmse.content_location".
func (d Dissected) Shows(name string) []string {
	var out []string
	for _, n := range d[name] {
		out = append(out, n.Show)
	}
	return out
}

// HoldsOctets reports whether the one occurrence of a text field holds
// the octets of want followed by its terminating NUL: Wireshark 4.0 shows
// an Encoded-string-value's octets ≥ 0x80 as U+FFFD each, and its value
// (hex) is what tells whether the octets are right.
func (d Dissected) HoldsOctets(field, want string) bool {
	return len(d[field]) == 1 && strings.Contains(d[field][0].Value, hex.EncodeToString([]byte(want))+"00")
}

// Problems lists malformed-packet markers and expert infos of severity
// Warning or Error.
func (d Dissected) Problems() []string {
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

// Tshark dissects the PDUs and returns one Dissected per PDU. It fails the
// test when tshark did not hand a PDU to its MMSE dissector.
func Tshark(t testing.TB, pdus [][]byte) []Dissected {
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
	res := make([]Dissected, len(doc.Packets))
	for i, p := range doc.Packets {
		res[i] = Dissected{}
		for _, pr := range p.Protos {
			res[i].add(pr)
		}
		if len(res[i]["mmse"]) == 0 {
			t.Fatalf("packet %d: tshark did not hand the body to MMSE", i)
		}
	}
	return res
}
