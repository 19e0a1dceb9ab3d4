package mms

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/homemmsc/homemmsc/internal/testcorpus"
)

// findCorpus returns the MMS corpus directory, or "" when it is absent.
func findCorpus() string { return testcorpus.Find("mms") }

// corpusDir returns the MMS corpus directory or skips the test.
func corpusDir(t testing.TB) string { return testcorpus.Dir(t, "mms") }

// corpusFiles returns every corpus PDU, keyed by file name.
func corpusFiles(t testing.TB) map[string][]byte {
	t.Helper()
	dir := corpusDir(t)
	names, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil || len(names) == 0 {
		t.Fatalf("corpus %s is empty: %v", dir, err)
	}
	out := make(map[string][]byte, len(names))
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(n)] = b
	}
	return out
}

// unhex decodes hex with spaces, newlines and quoted ASCII runs allowed:
// `8C 82 "T1" 00` is 8C 82 54 31 00.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	var out []byte
	for len(s) > 0 {
		switch c := s[0]; {
		case c == ' ' || c == '\n' || c == '\t':
			s = s[1:]
		case c == '"':
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				t.Fatalf("unterminated quote in %q", s)
			}
			out = append(out, s[1:1+end]...)
			s = s[2+end:]
		default:
			if len(s) < 2 {
				t.Fatalf("odd hex digit in %q", s)
			}
			b, err := hex.DecodeString(s[:2])
			if err != nil {
				t.Fatalf("bad hex %q: %v", s[:2], err)
			}
			out = append(out, b...)
			s = s[2:]
		}
	}
	return out
}

// roundTrip checks that m encodes and the encoding decodes to an equal
// Message, and returns the encoding.
func roundTrip(t testing.TB, m *Message) []byte {
	t.Helper()
	enc, err := m.Encode()
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	m2, err := Decode(enc)
	if err != nil {
		t.Fatalf("Decode(Encode(m)): %v\n% X", err, enc)
	}
	if !reflect.DeepEqual(m, m2) {
		t.Fatalf("decode → encode → decode differs:\n first %+v\nsecond %+v", m, m2)
	}
	return enc
}

func addrStrings(as []Address) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.String())
	}
	return out
}

func uintptrOf(p *byte) uintptr { return uintptr(unsafe.Pointer(p)) }
