package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

// journalW returns the watermark ("w") of each line of the journal in
// cfg.Dir, 0 where a line has none.
func journalW(t *testing.T, cfg Config) []uint64 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(cfg.Dir, journalName))
	must(t, err)
	var ws []uint64
	for line := range bytes.Lines(b) {
		var r record
		must(t, json.Unmarshal(line, &r))
		ws = append(ws, r.W)
	}
	return ws
}

// TestOpenChecksUncoveredPDU: a power cut can leave the line of a Put in
// flight on the card with its PDU's size but not its data. Open checks
// the PDU of every new message no watermark covers and keeps a bad one
// aside; the messages before it are covered and indexed.
func TestOpenChecksUncoveredPDU(t *testing.T) {
	cfg := testConfig(t)
	s := openStore(t, cfg)
	a, err := s.Put(message("a", 3000))
	must(t, err)
	b, err := s.Put(message("b", 3000))
	must(t, err)
	s.Close()
	// One Put at a time: each line's watermark is its own sequence,
	// so b's line covers a and nothing covers b.
	if got := journalW(t, cfg); !slices.Equal(got, []uint64{a.seq, b.seq}) {
		t.Fatalf("watermarks %v, want [%d %d]", got, a.seq, b.seq)
	}
	must(t, os.WriteFile(filepath.Join(s.msgDir, b.ID+pduExt), make([]byte, b.Size), 0o600))

	s = openStore(t, cfg)
	if got := ids(list(s)); !slices.Equal(got, []string{a.ID}) {
		t.Fatalf("List = %v, want only %s", got, a.ID)
	}
	damaged := dirNames(t, filepath.Join(cfg.Dir, damagedDir))
	if !slices.Contains(damaged, b.ID+pduExt) {
		t.Fatalf("damaged/ = %v, want %s kept there", damaged, b.ID+pduExt)
	}
	// Compacted: the lines left carry no watermark, as every PDU they
	// name has now been checked.
	if got := journalW(t, cfg); slices.ContainsFunc(got, func(w uint64) bool { return w != 0 }) {
		t.Fatalf("watermarks after compaction: %v", got)
	}
}

// TestParseJournalWatermark: out-of-order lines from concurrent Puts.
// Sequence 3's line was written while 2 was in flight (w=2), so only 2
// and later are unsure; a later line of 3 without w (a change of its
// metadata, made after its Put returned) settles 3 too.
func TestParseJournalWatermark(t *testing.T) {
	put := func(seq, w uint64) []byte {
		m := &Meta{ID: makeID(t0, seq), Size: 1}
		line, err := encodeRecord(record{Put: m, W: w})
		must(t, err)
		return line
	}
	j, _ := parseJournal(bytes.NewReader(slices.Concat(put(1, 1), put(3, 2), put(2, 2))))
	if j.covered != 2 {
		t.Fatalf("covered = %d, want 2", j.covered)
	}
	check := func(seq uint64, want bool) {
		t.Helper()
		if got := j.mustCheck(makeID(t0, seq), seq); got != want {
			t.Errorf("mustCheck(%d) = %v, want %v", seq, got, want)
		}
	}
	check(1, false)
	check(2, true)
	check(3, true)
	j, _ = parseJournal(bytes.NewReader(slices.Concat(put(1, 1), put(3, 2), put(2, 2), put(3, 0))))
	check(3, false)
	check(2, true)
}

// TestFailedPutPinsWatermark: a Put whose line is in the journal but
// whose syncs failed retracts it; when the retraction cannot be made
// durable either, its sequence stays below the watermark of every later
// line, so that Open checks those PDUs instead of trusting them.
func TestFailedPutPinsWatermark(t *testing.T) {
	for _, tc := range []struct {
		op     string
		pinned bool
	}{
		{"syncdir", false}, // the del line's sync works: retracted
		{"sync", true},     // every fdatasync fails: the del may be lost
	} {
		t.Run(tc.op, func(t *testing.T) {
			cfg := testConfig(t)
			ffs := &faultFS{}
			cfg.fs = ffs
			s := openStore(t, cfg)
			ffs.op, ffs.err = tc.op, unix.EIO
			_, err := s.Put(message("failed", 1000))
			ffs.check(t)
			if !errors.Is(err, unix.EIO) {
				t.Fatalf("Put = %v, want EIO", err)
			}
			ffs.disarm()
			next, err := s.Put(message("next", 1000))
			must(t, err)
			ws := journalW(t, cfg)
			want := next.seq
			if tc.pinned {
				want = next.seq - 1
			}
			if got := ws[len(ws)-1]; got != want {
				t.Fatalf("watermark of the next line = %d, want %d (journal watermarks %v)", got, want, ws)
			}
			s.Close()
			s = openStore(t, cfg)
			if got := ids(list(s)); !slices.Equal(got, []string{next.ID}) {
				t.Fatalf("List after reopening = %v, want %s", got, next.ID)
			}
		})
	}
}

// Put writes the PDU's sha256 over the placeholder the line was encoded
// with, never over a string that merely looks like it: here a hint whose
// key is "sha256" and whose value is the placeholder.
func TestPutWritesSumIntoItsField(t *testing.T) {
	cfg := testConfig(t)
	s := openStore(t, cfg)
	in := message("sum", 1000)
	in.Hints = map[string]string{"sha256": placeholderSum}
	m, err := s.Put(in)
	must(t, err)
	if m.SHA256 != sha(in.PDU) {
		t.Fatalf("Put's sha256 %s, want %s", m.SHA256, sha(in.PDU))
	}
	s.Close()
	s = openStore(t, cfg)
	got, ok := s.Get(m.ID)
	if !ok || got.SHA256 != sha(in.PDU) || got.Hints["sha256"] != placeholderSum {
		t.Fatalf("after reopening: %v sha256 %s hints %v", ok, got.SHA256, got.Hints)
	}
}
