package store

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/homemmsc/homemmsc/internal/mms"
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
	// Superseded lines outnumbering the live records make the next Open
	// compact the log: the records move, and the index must follow.
	for range 3 {
		for _, m := range put[:4] {
			must(t, s.SetSeen(m.ID, true))
			must(t, s.SetSeen(m.ID, false))
		}
	}
	must(t, s.Delete(put[4].ID))
	s.Close()
	before := logBytes(t, cfg.Dir)

	s = openStore(t, cfg)
	after := logBytes(t, cfg.Dir)
	if len(after) >= len(before) {
		t.Fatalf("the log was not compacted: %d bytes, then %d", len(before), len(after))
	}
	// One W, on the sequence mark at the end: nothing to check at Open.
	lines := bytes.Split(bytes.TrimSuffix(after, []byte("\n")), []byte("\n"))
	last := lines[len(lines)-1]
	if bytes.Count(after, []byte(`"w":`)) != 1 || !bytes.HasPrefix(last, []byte(`{"seq":6,"w":`)) {
		t.Errorf("compacted log ends with %q and has %d W", last, bytes.Count(after, []byte(`"w":`)))
	}
	kept := append(slices.Clone(put[:4]), put[5])
	sameMeta(t, s, kept, "after compaction")
	if _, ok := s.Get(put[4].ID); ok {
		t.Errorf("deleted %s found after compaction", put[4].ID)
	}
	if st, want := s.Stats(), int64(len(after)-len(last)-1); st.Messages != 5 || st.Bytes != want {
		t.Errorf("Stats after compaction: %+v, want 5 messages of %d bytes", st, want)
	}
}

func logBytes(t *testing.T, dir string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, logName))
	must(t, err)
	return b
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

// A log changed behind the store's back (here: the line at a message's
// offset now names another id) gives errors, never the other message's
// metadata.
func TestLogChangedBehindTheStore(t *testing.T) {
	cfg := testConfig(t)
	s := openStore(t, cfg)
	put := putAll(t, s, 2)
	a, b := put[0], put[1]
	if len(a.ID) != len(b.ID) {
		t.Fatalf("ids of different lengths: %s %s", a.ID, b.ID)
	}
	raw := logBytes(t, cfg.Dir)
	i := bytes.Index(raw, []byte(a.ID))
	copy(raw[i:], b.ID) // a's line, same length, now names b's id
	must(t, os.WriteFile(filepath.Join(cfg.Dir, logName), raw, 0o640))

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
		e := newEntry(&Meta{ID: id, seq: seq}, 0, 1, 1)
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
	if n > 64 {
		t.Errorf("an index entry is %d bytes, was 64", n)
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

// readRecords reads lines longer than the 4 KB it reads at a time
// whole, records each message's line and PDU offsets, and stops at a
// torn last record.
func TestReadRecordsOffsets(t *testing.T) {
	var raw []byte
	var want []entry
	for i, parts := range []int{1, 2000, 3} { // the second line is over 100 KB
		m := &Meta{ID: makeID(t0, uint64(i+1)), Size: 5}
		for j := range parts {
			m.Parts = append(m.Parts, PartMeta{Index: j, ContentType: "image/jpeg", File: "part.jpg", Name: strings.Repeat("n", 40)})
		}
		pdu := []byte("pdu\n" + string(rune('a'+i)))
		line, err := msgRecord(m, pdu, 0)
		must(t, err)
		want = append(want, entry{off: int64(len(raw)), line: uint32(len(line)), pdu: int64(len(raw) + len(line))})
		raw = append(append(append(raw, line...), pdu...), '\n')
	}
	if want[1].line < 100<<10 {
		t.Fatalf("the long line is only %d bytes", want[1].line)
	}
	whole := int64(len(raw))
	raw = append(raw, `{"msg":{"id":"2026`...)
	sc, bad := readLog(t, raw)
	if len(sc.live) != 3 || sc.end != whole || !slices.Equal(bad, [][2]int64{{whole, int64(len(raw))}}) {
		t.Errorf("%d messages, end %d (want %d), bad spans %v", len(sc.live), sc.end, whole, bad)
	}
	for i, w := range want {
		e := sc.live[mustKey(makeID(t0, uint64(i+1)))]
		if e.off != w.off || e.line != w.line || e.pdu != w.pdu {
			t.Errorf("record %d at %d, line %d bytes, PDU at %d; want %d, %d, %d", i, e.off, e.line, e.pdu, w.off, w.line, w.pdu)
		}
	}
}

// readLog runs readRecords over raw and returns what it found and the
// unreadable spans.
func readLog(t *testing.T, raw []byte) (*logScan, [][2]int64) {
	t.Helper()
	path := filepath.Join(t.TempDir(), logName)
	must(t, os.WriteFile(path, raw, 0o600))
	f, err := os.Open(path)
	must(t, err)
	defer f.Close()
	var bad [][2]int64
	s := &Store{log: slog.New(slog.DiscardHandler)}
	sc, err := s.readRecords(f, nil, int64(len(raw)), nil, func(from, to int64) { bad = append(bad, [2]int64{from, to}) })
	must(t, err)
	return sc, bad
}

// A run of bytes longer than any line Put writes (a damaged log) is one
// unreadable span; the record after it is found again (resync).
func TestReadRecordsOverlongLine(t *testing.T) {
	junk := append(bytes.Repeat([]byte{'x'}, maxRecordSize+100), '\n')
	m := &Meta{ID: makeID(t0, 1), Size: 1}
	line, err := msgRecord(m, []byte("p"), 0)
	must(t, err)
	raw := append(append(append(slices.Clone(junk), line...), 'p'), '\n')
	sc, bad := readLog(t, raw)
	if len(sc.live) != 1 || !slices.Equal(bad, [][2]int64{{0, int64(len(junk))}}) {
		t.Fatalf("%d messages, bad spans %v; want 1 and [0 %d]", len(sc.live), bad, len(junk))
	}
	if e := sc.live[mustKey(m.ID)]; e.off != int64(len(junk)) || e.line != uint32(len(line)) {
		t.Fatalf("the record after the junk at %d, %d bytes; want %d, %d", e.off, e.line, len(junk), len(line))
	}
}

// Deleting most messages copies the index's texts afresh: the summaries
// of the messages left keep their subjects and senders, and the
// subjects of the deleted ones are no longer held.
func TestIndexTextsCompacted(t *testing.T) {
	s := openStore(t, testConfig(t))
	want := map[string]string{} // subject by sender, of the messages kept
	var del []string
	for i := range 200 {
		in := message(fmt.Sprint(i), 10)
		in.Msg.Subject = mms.Text(fmt.Sprintf("%03d %s", i, strings.Repeat("s", 900)))
		in.Sender.Number = fmt.Sprint("+1555000", i)
		m, err := s.Put(in)
		must(t, err)
		if i%10 == 0 {
			want[m.Sender.Number] = m.Subject
		} else {
			del = append(del, m.ID)
		}
	}
	full := len(s.texts.subjects)
	for _, id := range del {
		must(t, s.Delete(id))
	}
	if n, p := len(s.texts.subjects), len(s.texts.parties); n >= full/2 || p >= 100 {
		t.Errorf("after deleting 180 of 200: %d subject bytes of %d, %d of 200 senders held; want fewer than half of each", n, full, p)
	}
	got := map[string]string{}
	s.Query(Query{Match: func(sm Summary) bool { got[sm.Sender.Number] = sm.Subject; return false }})
	if !maps.Equal(got, want) {
		t.Errorf("summaries after compaction differ: %d of %d", len(got), len(want))
	}
}

// The index holds no pointer for the garbage collector to scan.
func TestEntryHasNoPointers(t *testing.T) {
	typ := reflect.TypeFor[entry]()
	for i := range typ.NumField() {
		switch f := typ.Field(i); f.Type.Kind() {
		case reflect.Bool, reflect.Int32, reflect.Int64, reflect.Uint8, reflect.Uint32, reflect.Uint64:
		default:
			t.Errorf("entry.%s is a %s", f.Name, f.Type)
		}
	}
}
