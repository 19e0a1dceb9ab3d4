package mmsc

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/homemmsc/homemmsc/internal/golden"
	"github.com/homemmsc/homemmsc/internal/mms"
)

var update = flag.Bool("update", false, "rewrite the golden M-Send.conf files in testdata/ (hex dumps)")

// goldenConfs are the M-Send.conf PDUs the handler emits, one per row of
// the status table and reply version, plus the unreadable-id case.
func goldenConfs() []struct {
	name string
	c    conf
} {
	type row = struct {
		name string
		c    conf
	}
	var rows []row
	for _, o := range []outcome{outStored, outCorrupt, outUnsupported, outTooLarge, outNoSender, outForbidden} {
		for _, v := range []mms.Version{mms.Version10, mms.Version12} {
			c := conf{tid: "T-0001", version: v, status: status(o)}
			if o == outStored {
				c.messageID = "20261126-200000-000001"
			} else {
				c.text = "why: " + o.String()
			}
			rows = append(rows, row{fmt.Sprintf("send-conf-%s-%s", o, v), c})
		}
	}
	rows = append(rows, row{"send-conf-unreadable-tid", conf{version: mms.Version10, status: status(outCorrupt), text: "malformed MMS PDU"}})
	return rows
}

// TestGoldenConfs pins the bytes we send phones (go test -update rewrites).
func TestGoldenConfs(t *testing.T) {
	for _, g := range goldenConfs() {
		got, err := g.c.encode()
		if err != nil {
			t.Fatalf("%s: %v", g.name, err)
		}
		golden.Check(t, filepath.Join("testdata", g.name+".hex"), got, *update)
	}
}

// TestConfsDecodedByTshark checks every golden M-Send.conf with a decoder
// we did not write: Wireshark's MMSE dissector, fed each PDU as the body
// of an HTTP response (DLT_USER0 mapped to the HTTP dissector).
func TestConfsDecodedByTshark(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark absent (Debian package tshark; .ci/run installs it)")
	}
	rows := goldenConfs()
	var pcap bytes.Buffer
	binary.Write(&pcap, binary.LittleEndian, [6]uint32{0xa1b2c3d4, 2 | 4<<16, 0, 0, 65535, 147})
	for _, g := range rows {
		pdu, err := g.c.encode()
		if err != nil {
			t.Fatal(err)
		}
		rec := fmt.Appendf(nil, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s", ContentType, len(pdu), pdu)
		binary.Write(&pcap, binary.LittleEndian, [4]uint32{0, 0, uint32(len(rec)), uint32(len(rec))})
		pcap.Write(rec)
	}
	file := filepath.Join(t.TempDir(), "confs.pcap")
	if err := os.WriteFile(file, pcap.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tshark, "-r", file,
		"-o", `uat:user_dlts:"User 0 (DLT=147)","http","0","","0",""`,
		"-T", "fields", "-E", "separator=|",
		"-e", "mmse.message_type", "-e", "mmse.transaction_id", "-e", "mmse.mms_version",
		"-e", "mmse.response_status", "-e", "mmse.message_id", "-e", "mmse.response_text",
		"-e", "_ws.malformed", "-e", "_ws.expert.severity").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(rows) {
		t.Fatalf("tshark printed %d lines for %d PDUs:\n%s", len(lines), len(rows), out)
	}
	for i, g := range rows {
		checkTsharkLine(t, g.name, g.c, lines[i])
	}
}

func checkTsharkLine(t *testing.T, name string, c conf, line string) {
	t.Helper()
	f := strings.Split(line, "|")
	if len(f) != 8 {
		t.Fatalf("%s: tshark line %q", name, line)
	}
	tid := c.tid
	if tid == "" {
		tid = fallbackTID
	}
	want := []string{"0x81", tid, mms.Version(c.version).String(), fmt.Sprintf("0x%02x", byte(c.status)), c.messageID, c.text}
	for j, w := range want {
		if f[j] != w {
			t.Errorf("%s: tshark field %d = %q, want %q (line %q)", name, j, f[j], w, line)
		}
	}
	if f[6] != "" {
		t.Errorf("%s: tshark says malformed: %q", name, line)
	}
	for _, s := range strings.Split(f[7], ",") {
		// Expert severities: chat 0x200000, note 0x400000, warn 0x600000, error 0x800000.
		if n, err := strconv.ParseUint(s, 0, 32); s != "" && (err != nil || n > 0x200000) {
			t.Errorf("%s: tshark expert severity %s", name, s)
		}
	}
}
