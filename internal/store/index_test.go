package store

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unsafe"
)

// putAll stores n test messages and returns what Put returned, oldest
// first.
func putAll(t *testing.T, s *Store, n int) []Meta {
	t.Helper()
	var out []Meta
	for i := range n {
		m, err := s.Put(message(strings.Repeat("x", i), 100+i))
		must(t, err)
		out = append(out, m)
	}
	return out
}

// sameMeta checks that Get returns, for each message, what Put returned.
func sameMeta(t *testing.T, s *Store, want []Meta, when string) {
	t.Helper()
	for _, w := range want {
		got, ok := s.Get(w.ID)
		if !ok {
			t.Fatalf("%s: Get(%s) not found", when, w.ID)
		}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("%s: Get(%s) =\n%+v\nwant\n%+v", when, w.ID, got, w)
		}
	}
}

func TestGetReadsWhatPutReturned(t *testing.T) {
	cfg := testConfig(t)
	s := openStore(t, cfg)
	put := putAll(t, s, 6)
	sameMeta(t, s, put, "open")
	s.Close()

	s = openStore(t, cfg)
	sameMeta(t, s, put, "after reopen")
	// Superseded lines outnumbering the live ones make the next Open
	// compact the journal: the lines move, and the index must follow.
	for range 3 {
		for _, m := range put[:4] {
			must(t, s.SetSeen(m.ID, true))
			must(t, s.SetSeen(m.ID, false))
		}
	}
	must(t, s.Delete(put[4].ID))
	s.Close()
	before := journalBytes(t, cfg.Dir)

	s = openStore(t, cfg)
	after := journalBytes(t, cfg.Dir)
	if len(after) >= len(before) {
		t.Fatalf("the journal was not compacted: %d bytes, then %d", len(before), len(after))
	}
	if !bytes.Contains(before, []byte(`"w":`)) || bytes.Contains(after, []byte(`"w":`)) {
		t.Errorf("watermarks: before compaction %v, after %v; want true, false",
			bytes.Contains(before, []byte(`"w":`)), bytes.Contains(after, []byte(`"w":`)))
	}
	kept := append(slices.Clone(put[:4]), put[5])
	sameMeta(t, s, kept, "after compaction")
	if _, ok := s.Get(put[4].ID); ok {
		t.Errorf("deleted %s found after compaction", put[4].ID)
	}
	if st := s.Stats(); st.Messages != 5 || st.Bytes != onDisk(t, cfg.Dir, kept) {
		t.Errorf("Stats after compaction: %+v, want 5 messages of %d bytes", st, onDisk(t, cfg.Dir, kept))
	}
}

func journalBytes(t *testing.T, dir string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, journalName))
	must(t, err)
	return b
}

// onDisk is the PDU bytes of ms plus the bytes of their lines in the
// journal (each id's last line).
func onDisk(t *testing.T, dir string, ms []Meta) int64 {
	t.Helper()
	var n int64
	lines := bytes.Split(journalBytes(t, dir), []byte("\n"))
	for _, m := range ms {
		n += m.Size
		for i := len(lines) - 1; i >= 0; i-- {
			if bytes.Contains(lines[i], []byte(`"id":"`+m.ID+`"`)) {
				n += int64(len(lines[i]) + 1)
				break
			}
		}
	}
	return n
}

func TestSetSeenThenGet(t *testing.T) {
	cfg := testConfig(t)
	s := openStore(t, cfg)
	put := putAll(t, s, 3)
	must(t, s.SetSeen(put[1].ID, true))
	want := put[1]
	want.Seen = true
	sameMeta(t, s, []Meta{put[0], want, put[2]}, "after SetSeen")
	if st := s.Stats(); st.New != 2 {
		t.Errorf("Stats.New = %d, want 2", st.New)
	}
	must(t, s.SetDelivery(put[2].ID, []Delivery{{To: "+15551234567", State: "pending", Updated: t0}}))
	got, _ := s.Get(put[2].ID)
	if len(got.Delivery) != 1 || got.Delivery[0].State != "pending" || got.Seen {
		t.Errorf("after SetDelivery: %+v", got)
	}
	s.Close()
	s = openStore(t, cfg)
	sameMeta(t, s, []Meta{put[0], want}, "after reopen")
}

// A journal changed behind the store's back (here: the line at a
// message's offset now names another id) gives errors, never the other
// message's metadata.
func TestJournalChangedBehindTheStore(t *testing.T) {
	cfg := testConfig(t)
	s := openStore(t, cfg)
	put := putAll(t, s, 2)
	a, b := put[0], put[1]
	if len(a.ID) != len(b.ID) {
		t.Fatalf("ids of different lengths: %s %s", a.ID, b.ID)
	}
	raw := journalBytes(t, cfg.Dir)
	i := bytes.Index(raw, []byte(a.ID))
	copy(raw[i:], b.ID) // a's line, same length, now the put of b's id
	must(t, os.WriteFile(filepath.Join(cfg.Dir, journalName), raw, 0o640))

	if m, ok := s.Get(a.ID); ok {
		t.Errorf("Get(%s) = %s's metadata, want not found", a.ID, m.ID)
	}
	if st := s.Stats(); !strings.Contains(st.LastError, "is not the metadata of "+a.ID) {
		t.Errorf("Stats.LastError = %q", st.LastError)
	}
	if _, _, err := s.Part(a.ID, 0); err == nil {
		t.Error("Part of the changed line: no error")
	}
	if err := s.SetSeen(a.ID, true); err == nil {
		t.Error("SetSeen of the changed line: no error")
	}
	if page, total := s.Query(Query{}); total != 2 || len(page) != 1 || page[0].ID != b.ID {
		t.Errorf("Query: %v of %d, want only %s of 2", ids(page), total, b.ID)
	}
	if _, ok := s.Get(b.ID); !ok {
		t.Errorf("Get(%s), whose line is intact: not found", b.ID)
	}
}

func TestGetAfterClose(t *testing.T) {
	s := openStore(t, testConfig(t))
	m := putAll(t, s, 1)[0]
	s.Close()
	if _, ok := s.Get(m.ID); ok {
		t.Error("Get after Close found the message")
	}
	if st := s.Stats(); st.Messages != 1 || st.LastError != "" {
		t.Errorf("Stats after Close: %+v", st)
	}
}

// The index finds an id by its sequence and checks the rest of it: the
// same sequence under another time, or with other leading zeros, is
// another id.
func TestIndexFindsWholeID(t *testing.T) {
	for _, id := range []string{"20261126-195454-000001", "00010101-000000-000007", "99991231-235959-18446744073709551615", "20261126-195454-0000000000000001"} {
		seq, err := parseID(id)
		must(t, err)
		e := newEntry(&Meta{ID: id, seq: seq}, 0, 1)
		if got := e.id(); got != id {
			t.Errorf("id of the entry of %s = %s", id, got)
		}
		s := &Store{entries: []entry{e}}
		if _, ok := s.find(id); !ok {
			t.Errorf("find(%s): not found", id)
		}
		for _, other := range []string{"20261126-195455" + id[15:], id[:16] + "0" + id[16:]} {
			if _, ok := s.find(other); ok && other != id {
				t.Errorf("find(%s) found %s", other, id)
			}
		}
	}
}

// The entry is what the appliance's memory grows by per message (plus
// the subject's bytes); see the package documentation.
func TestEntrySize(t *testing.T) {
	n := unsafe.Sizeof(entry{})
	if n > 80 {
		t.Errorf("an index entry is %d bytes, was 80", n)
	}
	t.Logf("an index entry is %d bytes", n)
}

func TestLoadRefusesOtherLines(t *testing.T) {
	s := openStore(t, testConfig(t))
	put := putAll(t, s, 2)
	e, err := s.lookup(put[0].ID)
	must(t, err)
	e.line-- // cut the '\n'
	if _, err := s.load(e); err == nil {
		t.Error("load of a line without its newline: no error")
	}
	e.line++
	e.off++ // inside the line
	if _, err := s.load(e); err == nil {
		t.Error("load at an offset inside a line: no error")
	}
	e.off--
	e.size++
	if _, err := s.load(e); err == nil || errors.Is(err, ErrNotFound) {
		t.Errorf("load of a line whose size differs from the index: %v", err)
	}
}

// parseJournal reads lines longer than its buffer whole, records each
// live line's offset and length, and counts a last line without its
// newline as torn.
func TestParseJournalOffsets(t *testing.T) {
	var raw []byte
	var want []entry
	for i, parts := range []int{1, 2000, 3} { // the second line is over 100 KB
		m := &Meta{ID: makeID(t0, uint64(i+1)), Size: 1}
		for j := range parts {
			m.Parts = append(m.Parts, PartMeta{Index: j, ContentType: "image/jpeg", File: "part.jpg", Name: strings.Repeat("n", 40)})
		}
		line, err := putRecord(m)
		must(t, err)
		want = append(want, entry{off: int64(len(raw)), line: uint32(len(line))})
		raw = append(raw, line...)
	}
	if want[1].line < 100<<10 {
		t.Fatalf("the long line is only %d bytes", want[1].line)
	}
	p, err := parseJournal(bytes.NewReader(append(raw, `{"put":{"id":"2026`...)))
	must(t, err)
	if p.lines != 3 || !p.torn || p.bad != 0 || p.size != int64(len(raw)+len(`{"put":{"id":"2026`)) {
		t.Errorf("lines %d torn %v bad %d size %d", p.lines, p.torn, p.bad, p.size)
	}
	for i, w := range want {
		e := p.live[makeID(t0, uint64(i+1))]
		if e.off != w.off || e.line != w.line {
			t.Errorf("line %d at %d, %d bytes; want %d, %d", i, e.off, e.line, w.off, w.line)
		}
	}
}

// A run of bytes longer than any line Put writes (a damaged journal) is
// one bad line: its bytes count towards the offsets of the lines after
// it, which parse.
func TestParseJournalOverlongLine(t *testing.T) {
	junk := append(bytes.Repeat([]byte{'x'}, maxRecordSize+100), '\n')
	m := &Meta{ID: makeID(t0, 1), Size: 1}
	line, err := putRecord(m)
	must(t, err)
	p, err := parseJournal(bytes.NewReader(append(junk, line...)))
	must(t, err)
	if p.lines != 1 || p.bad != 1 || p.torn || p.size != int64(len(junk)+len(line)) {
		t.Fatalf("lines %d bad %d torn %v size %d", p.lines, p.bad, p.torn, p.size)
	}
	if e := p.live[m.ID]; e.off != int64(len(junk)) || e.line != uint32(len(line)) {
		t.Fatalf("the line after the junk at %d, %d bytes; want %d, %d", e.off, e.line, len(junk), len(line))
	}
	// The junk is counted, not kept.
	br := bufio.NewReaderSize(bytes.NewReader(junk), 16)
	first, _ := br.ReadSlice('\n')
	if got, n, err := readLong(br, first); got != nil || n != len(junk) || err != nil {
		t.Fatalf("readLong of the junk = %d bytes kept, %d read, %v; want none kept, %d read", len(got), n, err, len(junk))
	}
}
