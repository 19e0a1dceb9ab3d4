package mms

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/homemmsc/homemmsc/internal/golden"
)

// FuzzDecode: Decode never panics; an error is a *DecodeError wrapping a
// sentinel; what decodes encodes, decodes back equal, and encodes again to
// the same octets.
func FuzzDecode(f *testing.F) {
	for _, b := range corpusSeeds(f) {
		f.Add(b)
	}
	for _, g := range goldens() {
		f.Add(golden.Read(f, filepath.Join("testdata", g.file)))
	}
	f.Add(nested(f, MaxDepth))
	f.Fuzz(func(t *testing.T, b []byte) {
		checkDecode(t, b)
	})
}

func checkDecode(t *testing.T, b []byte) {
	t.Helper()
	orig := bytes.Clone(b)
	m, err := Decode(b)
	if !bytes.Equal(b, orig) {
		t.Fatalf("Decode modified its input")
	}
	if err != nil {
		var de *DecodeError
		if !errors.As(err, &de) || !isSentinel(err) {
			t.Fatalf("error %v is not a *DecodeError wrapping a sentinel", err)
		}
		return
	}
	enc, err := m.Encode()
	if err != nil {
		t.Fatalf("a decoded message does not encode: %v\n%+v", err, m)
	}
	m2, err := Decode(enc)
	if err != nil {
		t.Fatalf("Decode(Encode(m)): %v\n% X", err, enc)
	}
	if !reflect.DeepEqual(m, m2) {
		t.Fatalf("decode → encode → decode differs\n first %+v\nsecond %+v\nencoded % X", m, m2, enc)
	}
	enc2, err := m2.Encode()
	if err != nil || !bytes.Equal(enc, enc2) {
		t.Fatalf("re-encoding differs: %v\n% X\n% X", err, enc, enc2)
	}
}

// corpusSeeds returns the corpus PDUs, or none when the corpus is absent
// (the fuzz target then starts from the goldens).
func corpusSeeds(tb testing.TB) [][]byte {
	dir := findCorpus()
	if dir == "" {
		tb.Log("corpus absent: fuzzing from the golden PDUs only")
		return nil
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*"))
	var out [][]byte
	for _, n := range names {
		if b, err := os.ReadFile(n); err == nil {
			out = append(out, shrinkSeed(b))
		}
	}
	return out
}

// maxSeed is the largest seed given to the fuzzer as is. Bigger PDUs (the
// 100–260 KB phone captures) make each execution and every minimisation
// slow, so they are seeded with the same headers and parts, each part's
// data cut to 512 octets.
const maxSeed = 32 << 10

func shrinkSeed(b []byte) []byte {
	if len(b) <= maxSeed {
		return b
	}
	m, err := Decode(b)
	if err != nil {
		return b[:maxSeed]
	}
	for i := range m.Parts {
		if d := m.Parts[i].Data; len(d) > 512 {
			m.Parts[i].Data = d[:512]
		}
	}
	out, err := m.Encode()
	if err != nil {
		return b[:maxSeed]
	}
	return out
}
