// Package golden keeps the bytes a test pins (an encoded PDU) as a hex
// dump in a text file, so that a changed golden shows up in a review's
// diff, and rewrites it when the test runs with -update (the way
// crypto/tls keeps its handshake transcripts and x/net its hpack
// vectors).
//
// A dump has one line per 16 bytes: the offset in hex, the bytes in hex,
// then the printable ones between bars, as xxd and hexdump -C show them.
// Reading takes only the hex columns and ignores blank lines and lines
// starting with '#', so a golden can carry a comment saying what it is.
package golden

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
)

// Dump writes b as a hex dump.
func Dump(b []byte) []byte {
	var out bytes.Buffer
	for off := 0; off < len(b); off += 16 {
		line := b[off:min(off+16, len(b))]
		fmt.Fprintf(&out, "%08x ", off)
		for i := range 16 {
			if i == 8 {
				out.WriteByte(' ')
			}
			if i < len(line) {
				fmt.Fprintf(&out, " %02x", line[i])
			} else {
				out.WriteString("   ")
			}
		}
		out.WriteString("  |")
		for _, c := range line {
			if c < 0x20 || c > 0x7E {
				c = '.'
			}
			out.WriteByte(c)
		}
		out.WriteString("|\n")
	}
	return out.Bytes()
}

// Parse reads a dump written by Dump (or xxd -g1, hexdump -C) back into
// its bytes, checking each line's offset.
func Parse(text []byte) ([]byte, error) {
	var out []byte
	for n, line := range strings.Split(string(text), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		hexPart, _, _ := strings.Cut(line, "|")
		fields := strings.Fields(hexPart)
		if len(fields) < 2 {
			return nil, fmt.Errorf("golden: line %d: no bytes", n+1)
		}
		var off int
		if _, err := fmt.Sscanf(strings.TrimSuffix(fields[0], ":"), "%x", &off); err != nil || off != len(out) {
			return nil, fmt.Errorf("golden: line %d: offset %q, want %08x", n+1, fields[0], len(out))
		}
		b, err := hex.DecodeString(strings.Join(fields[1:], ""))
		if err != nil {
			return nil, fmt.Errorf("golden: line %d: %w", n+1, err)
		}
		out = append(out, b...)
	}
	return out, nil
}

// Read returns the bytes of the dump at path.
func Read(t testing.TB, path string) []byte {
	t.Helper()
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	b, err := Parse(text)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return b
}

// Check compares got with the dump at path, or rewrites the dump when
// update is set (a test's -update flag).
func Check(t testing.TB, path string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.WriteFile(path, Dump(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want := Read(t, path)
	if !bytes.Equal(got, want) {
		t.Errorf("bytes differ from %s (go test -update rewrites it):\n got:\n%s\nwant:\n%s", path, Dump(got), Dump(want))
	}
}
