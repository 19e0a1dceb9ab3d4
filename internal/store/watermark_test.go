package store

import (
	"bytes"
	"os"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

// logW returns the W of each message's line in the log of dir, by id.
func logW(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	raw := logBytes(t, dir)
	ws := map[string]int64{}
	for off := int64(0); off < int64(len(raw)); {
		rec, _, n, err := readRecord(bytes.NewReader(raw), off, int64(len(raw)), nil)
		must(t, err)
		if rec.Msg != nil {
			ws[rec.Msg.ID] = rec.W
		}
		off += n
	}
	return ws
}

// TestOpenChecksOnlyUncovered: with one writer each Put's line records
// that everything before it was synced, so Open reads back only the
// newest message's PDU; a PDU damaged after its sync is not Open's to
// find (it reads 20,000 messages' lines, not their PDUs), while the
// newest one, whose data a power cut may have kept off the card, is
// checked and cut off when it does not match its CRC.
func TestOpenChecksOnlyUncovered(t *testing.T) {
	cfg := testConfig(t)
	s := openStore(t, cfg)
	put := putAll(t, s, 3)
	crashClose(t, s)
	e0, e2 := pduOffset(t, cfg.Dir, put[0]), pduOffset(t, cfg.Dir, put[2])
	ws := logW(t, cfg.Dir)
	for _, m := range put[1:] {
		if start := pduOffset(t, cfg.Dir, m) - int64(len(mustLine(t, cfg.Dir, m))); ws[m.ID] != start {
			t.Fatalf("W of %s is %d, want %d, where its record starts", m.ID, ws[m.ID], start)
		}
	}
	flipByte(t, cfg.Dir, e0) // covered: not checked
	flipByte(t, cfg.Dir, e2) // the newest: checked
	s = openStore(t, cfg)
	if got := ids(list(s)); !slices.Equal(got, []string{put[1].ID, put[0].ID}) {
		t.Fatalf("List = %v, want the first two", got)
	}
}

func pduOffset(t *testing.T, dir string, m Meta) int64 {
	t.Helper()
	raw := logBytes(t, dir)
	i := bytes.Index(raw, []byte(`{"msg":{"id":"`+m.ID))
	return int64(i + bytes.IndexByte(raw[i:], '\n') + 1)
}

func mustLine(t *testing.T, dir string, m Meta) []byte {
	t.Helper()
	raw := logBytes(t, dir)
	i := bytes.Index(raw, []byte(`{"msg":{"id":"`+m.ID))
	return raw[i : i+bytes.IndexByte(raw[i:], '\n')+1]
}

func flipByte(t *testing.T, dir string, off int64) {
	t.Helper()
	raw := logBytes(t, dir)
	raw[off] ^= 0xFF
	must(t, os.WriteFile(dir+"/"+logName, raw, 0o640))
}

// TestFailedSyncFreezesW: after a failed fdatasync Linux may have
// dropped the pages it could not write and report the next sync a
// success, so later lines must not claim the failed record was synced:
// W stops where the last successful sync left it, and Open checks every
// message written after it.
func TestFailedSyncFreezesW(t *testing.T) {
	cfg := testConfig(t)
	ffs := &faultFS{}
	cfg.fs = ffs
	s := openStore(t, cfg)
	a, err := s.Put(message("a", 100))
	must(t, err)
	ffs.op, ffs.err = "sync", unix.EIO
	if _, err := s.Put(message("b", 100)); err == nil {
		t.Fatal("Put with a failing sync succeeded")
	}
	ffs.check(t)
	ffs.disarm()
	c, err := s.Put(message("c", 100))
	must(t, err)
	d, err := s.Put(message("d", 100))
	must(t, err)
	s.Close()
	ws := logW(t, cfg.Dir)
	bOff := pduOffset(t, cfg.Dir, Meta{ID: makeID(t0, 2)})
	if ws[c.ID] >= bOff || ws[d.ID] != ws[c.ID] {
		t.Fatalf("W after the failed sync: c %d, d %d; want both below b's record (%d)", ws[c.ID], ws[d.ID], bOff)
	}
	s = openStore(t, cfg)
	if got := ids(list(s)); !slices.Equal(got, []string{d.ID, c.ID, a.ID}) {
		t.Fatalf("List = %v: the failed Put's retraction, then c and d checked and kept", got)
	}
}
