package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/homemmsc/homemmsc/internal/faketime"
	"github.com/homemmsc/homemmsc/internal/mms"
)

func TestPutRecordsMetadataAndPDU(t *testing.T) {
	s := openStore(t, testConfig(t))
	in := message("a", 3000)
	m, err := s.Put(in)
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != "20261126-195454-000001" {
		t.Errorf("ID = %q", m.ID)
	}
	want := Meta{
		ID: m.ID, Received: t0, ClockSynced: true,
		Sender:        Sender{Number: "+15550001111", Name: "Alice", Source: "token"},
		To:            []string{"+15551234567/TYPE=PLMN", "a@example.org"},
		Cc:            []string{"+15557654321/TYPE=PLMN"},
		Subject:       "Grüße a",
		TransactionID: "Ta",
		Version:       "1.2",
		ContentType:   "application/vnd.wap.multipart.related",
		Parts: []PartMeta{
			{Index: 0, ContentType: "application/smil", Name: "smil.xml", ContentID: "<smil>", File: "part-01.smil", Size: 7},
			{Index: 1, ContentType: "text/plain", Charset: "utf-8", Name: "text_0.txt", File: "part-02.txt", Size: 7},
			{Index: 2, ContentType: "image/jpeg", Name: "../../etc/passwd", File: "part-03.jpg", Size: 3000},
		},
		Size:       int64(len(in.PDU)),
		Hints:      in.Hints,
		RemoteAddr: "192.0.2.7:5000",
		seq:        1,
	}
	if diff := metaDiff(m, want); diff != "" {
		t.Fatalf("Put returned\n%s", diff)
	}
	got, ok := s.Get(m.ID)
	if !ok || metaDiff(got, want) != "" {
		t.Fatalf("Get = %v, %s", ok, metaDiff(got, want))
	}
	f, err := s.OpenPDU(m.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	if !bytes.Equal(b, in.PDU) {
		t.Fatal("stored PDU differs from the one received")
	}
	if names := storeNames(t, s.dir); !slices.Equal(names, []string{"lock", logName}) {
		t.Fatalf("store dir holds %v", names)
	}
}

// metaDiff compares the fields of two Metas and describes differences.
func metaDiff(got, want Meta) string {
	if !got.Received.Equal(want.Received) {
		return fmt.Sprintf("Received %v, want %v", got.Received, want.Received)
	}
	got.Received, want.Received = time.Time{}, time.Time{}
	g, w := fmt.Sprintf("%+v", got), fmt.Sprintf("%+v", want)
	if g != w {
		return "got  " + g + "\nwant " + w
	}
	return ""
}

func TestListNewestFirstAndReopen(t *testing.T) {
	cfg := testConfig(t)
	s := openStore(t, cfg)
	var put []string
	for i := range 3 {
		m, err := s.Put(message(fmt.Sprint(i), 100))
		if err != nil {
			t.Fatal(err)
		}
		put = append(put, m.ID)
	}
	if err := s.SetSeen(put[1], true); err != nil {
		t.Fatal(err)
	}
	before := list(s)
	if got := ids(before); !slices.Equal(got, []string{put[2], put[1], put[0]}) {
		t.Fatalf("List = %v, want newest first %v", got, put)
	}
	stBefore := s.Stats()
	s.Close()

	s2 := openStore(t, cfg)
	after := list(s2)
	if len(after) != len(before) {
		t.Fatalf("after reopen %d messages, want %d", len(after), len(before))
	}
	for i := range after {
		if d := metaDiff(after[i], before[i]); d != "" {
			t.Errorf("message %d after reopen:\n%s", i, d)
		}
	}
	st := s2.Stats()
	if st.Messages != 3 || st.New != 2 || st.Bytes != stBefore.Bytes {
		t.Fatalf("Stats after reopen = %+v, before %+v", st, stBefore)
	}
}

func TestConcurrentPutsSameSecondUniqueIDs(t *testing.T) {
	s := openStore(t, testConfig(t)) // the clock never moves
	const n = 50
	var wg sync.WaitGroup
	res := make([]Meta, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { res[i], errs[i] = s.Put(message(fmt.Sprint(i), 1000)) })
	}
	wg.Wait()
	seen := map[string]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Put %d: %v", i, errs[i])
		}
		if seen[res[i].ID] {
			t.Fatalf("id %s issued twice", res[i].ID)
		}
		seen[res[i].ID] = true
		if got, ok := s.Get(res[i].ID); !ok || got.TransactionID != res[i].TransactionID {
			t.Fatalf("Get(%s) = %+v, %v", res[i].ID, got, ok)
		}
	}
	list := list(s)
	if len(list) != n {
		t.Fatalf("List has %d; want %d", len(list), n)
	}
	for i := 1; i < len(list); i++ {
		if list[i-1].seq <= list[i].seq {
			t.Fatalf("List not newest first at %d: %s then %s", i, list[i-1].ID, list[i].ID)
		}
	}
}

func TestIDsSurviveRestartWithClockGoingBack(t *testing.T) {
	cfg := testConfig(t)
	clk := faketime.New(t0)
	cfg.Now = clk.Now
	s := openStore(t, cfg)
	a, _ := s.Put(message("a", 10))
	b, _ := s.Put(message("b", 10))
	s.Close()

	clk.Set(time.Unix(0, 0)) // a Pi booting without network: 1970
	s = openStore(t, cfg)
	c, err := s.Put(message("c", 10))
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != "19700101-000000-000003" {
		t.Fatalf("after restart id = %s, want sequence 3 at 1970", c.ID)
	}
	if got := ids(list(s)); !slices.Equal(got, []string{c.ID, b.ID, a.ID}) {
		t.Fatalf("List = %v: the sequence, not the clock, orders messages", got)
	}
}

func TestDeletedNewestIDNotReissued(t *testing.T) {
	cfg := testConfig(t)
	s := openStore(t, cfg)
	s.Put(message("a", 10))
	b, _ := s.Put(message("b", 10))
	if err := s.Delete(b.ID); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openStore(t, cfg)
	c, err := s.Put(message("c", 10))
	if err != nil {
		t.Fatal(err)
	}
	if c.ID == b.ID || c.seq <= b.seq {
		t.Fatalf("new id %s after deleting %s: sequence reused", c.ID, b.ID)
	}
}

// TestOpenCutsTornEnd: what a crash leaves at the end of the log (half a
// line; a whole line with part of its PDU; a PDU whose data never
// reached the card) is cut off, temporary files are removed, and ids go
// on past every id named.
func TestOpenCutsTornEnd(t *testing.T) {
	for _, tt := range []struct {
		name string
		tear func(t *testing.T, path string, last []byte)
	}{
		{"half a line", func(t *testing.T, path string, last []byte) {
			appendFile(t, path, `{"msg":{"id":"20261126-195454-000010","si`)
		}},
		{"line without all of its PDU", func(t *testing.T, path string, last []byte) {
			appendFile(t, path, string(last[:len(last)-20]))
		}},
		{"PDU zeros", func(t *testing.T, path string, last []byte) {
			i := bytes.IndexByte(last, '\n')
			torn := append(slices.Clone(last[:i+1]), make([]byte, len(last)-i-1)...)
			torn[len(torn)-1] = '\n'
			appendFile(t, path, string(torn))
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t)
			s := openStore(t, cfg)
			keep, _ := s.Put(message("keep", 100))
			crashClose(t, s)
			good, err := os.ReadFile(s.logPath())
			must(t, err)
			// The record of the next message, as a Put would write it.
			s = openStore(t, cfg)
			next, err := s.Put(message("next", 100))
			must(t, err)
			crashClose(t, s)
			full, err := os.ReadFile(s.logPath())
			must(t, err)
			must(t, os.WriteFile(s.logPath(), good, 0o600))
			tt.tear(t, s.logPath(), full[len(good):])
			must(t, os.WriteFile(filepath.Join(cfg.Dir, ".tmp-messages.log-789"), []byte("1"), 0o600))

			s = openStore(t, cfg)
			if got := ids(list(s)); !slices.Equal(got, []string{keep.ID}) {
				t.Fatalf("after recovery List = %v, want only %s", got, keep.ID)
			}
			if b, _ := os.ReadFile(s.logPath()); !bytes.Equal(b, good) {
				t.Fatalf("log after recovery: %d bytes, want the %d before the tear", len(b), len(good))
			}
			if names := storeNames(t, cfg.Dir); !slices.Equal(names, []string{"lock", logName}) {
				t.Fatalf("store dir after recovery: %v", names)
			}
			n, err := s.Put(message("after", 10))
			must(t, err)
			if n.seq <= keep.seq || (tt.name != "half a line" && n.seq <= next.seq-1) {
				t.Fatalf("new id %s after %s", n.ID, keep.ID)
			}
		})
	}
}

func appendFile(t *testing.T, name, text string) {
	t.Helper()
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
	must(t, err)
	_, err = f.WriteString(text)
	must(t, errors.Join(err, f.Close()))
}

// TestOpenSetsDamageAside: an unreadable record that a later record says
// was synced is damage, not a write cut short: its bytes go to damaged/,
// the records after it stay listed, and the log is compacted without it.
func TestOpenSetsDamageAside(t *testing.T) {
	cfg := testConfig(t)
	s := openStore(t, cfg)
	a, _ := s.Put(message("a", 100))
	b, _ := s.Put(message("b", 100))
	c, _ := s.Put(message("c", 100))
	crashClose(t, s)
	raw, err := os.ReadFile(s.logPath())
	must(t, err)
	i := bytes.Index(raw, []byte(`{"msg":{"id":"`+b.ID))
	raw[i+3] = '?' // b's line no longer parses
	must(t, os.WriteFile(s.logPath(), raw, 0o600))

	s = openStore(t, cfg)
	if got := ids(list(s)); !slices.Equal(got, []string{c.ID, a.ID}) {
		t.Fatalf("List = %v", got)
	}
	dmg := dirNames(t, filepath.Join(cfg.Dir, "damaged"))
	if len(dmg) != 1 || !strings.HasPrefix(dmg[0], "log-") {
		t.Fatalf("damaged/ holds %v, want a copy of b's record", dmg)
	}
	kept, err := os.ReadFile(filepath.Join(cfg.Dir, "damaged", dmg[0]))
	must(t, err)
	if !bytes.Contains(kept, []byte(b.ID)) {
		t.Fatalf("damaged/%s does not hold b's record", dmg[0])
	}
	s.Close()
	s = openStore(t, cfg)
	if got := ids(list(s)); !slices.Equal(got, []string{c.ID, a.ID}) || len(dirNames(t, filepath.Join(cfg.Dir, "damaged"))) != 1 {
		t.Fatalf("after a second Open: %v, damaged/ %v", got, dirNames(t, filepath.Join(cfg.Dir, "damaged")))
	}
}

// legacyFixture stores messages with a store of this layout, for their
// metadata and PDUs, to lay out as an earlier layout.
func legacyFixture(t *testing.T, tags ...string) (metas []Meta, pdus [][]byte) {
	t.Helper()
	s := openStore(t, testConfig(t))
	for _, tag := range tags {
		in := message(tag, 100)
		m, err := s.Put(in)
		must(t, err)
		metas, pdus = append(metas, m), append(pdus, in.PDU)
	}
	return metas, pdus
}

func jsonLine(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	must(t, err)
	return string(b) + "\n"
}

// TestOpenImportsJournalLayout: a store of the earlier layout
// (messages/<id>.mms and journal.jsonl) is moved into the log: its
// messages with their latest metadata, a PDU without metadata or that
// does not match it set aside in damaged/, deleted ones left out, the
// old files removed, and ids go on past the old sequence mark.
func TestOpenImportsJournalLayout(t *testing.T) {
	metas, pdus := legacyFixture(t, "a", "b", "c", "d")
	cfg := testConfig(t)
	md := filepath.Join(cfg.Dir, "messages")
	must(t, os.MkdirAll(md, 0o750))
	for i, m := range metas {
		must(t, os.WriteFile(filepath.Join(md, m.ID+".mms"), pdus[i], 0o600))
	}
	orphan := "20261126-195454-000009"
	must(t, os.WriteFile(filepath.Join(md, orphan+".mms"), []byte("no line"), 0o600))
	must(t, os.WriteFile(filepath.Join(md, metas[3].ID+".mms"), []byte("damaged"), 0o600))
	seen := metas[0]
	seen.Seen = true
	journal := jsonLine(t, map[string]any{"seq": 20}) +
		jsonLine(t, map[string]any{"put": metas[0], "w": 1}) + jsonLine(t, map[string]any{"put": metas[1]}) +
		jsonLine(t, map[string]any{"put": metas[2]}) + jsonLine(t, map[string]any{"put": metas[3]}) +
		jsonLine(t, map[string]any{"put": seen}) + jsonLine(t, map[string]any{"del": metas[2].ID}) + `{"put":{"id":"2026`
	must(t, os.WriteFile(filepath.Join(cfg.Dir, "journal.jsonl"), []byte(journal), 0o600))

	s := openStore(t, cfg)
	if got := ids(list(s)); !slices.Equal(got, []string{metas[1].ID, metas[0].ID}) {
		t.Fatalf("imported %v, want b and a", got)
	}
	if got, _ := s.Get(metas[0].ID); !got.Seen || readAll(t, s, got.ID) != sha(pdus[0]) {
		t.Fatalf("a after import: %+v", got)
	}
	if h := readAll(t, s, metas[1].ID); h != sha(pdus[1]) {
		t.Fatal("b's PDU changed in the import")
	}
	if got := dirNames(t, filepath.Join(cfg.Dir, "damaged")); !slices.Equal(got, []string{metas[3].ID + ".mms", orphan + ".mms"}) {
		t.Fatalf("damaged/ holds %v, want the orphan and d", got)
	}
	if names := storeNames(t, cfg.Dir); !slices.Equal(names, []string{"damaged", "lock", logName}) {
		t.Fatalf("store dir after import: %v", names)
	}
	n, err := s.Put(message("next", 10))
	must(t, err)
	if n.seq != 21 {
		t.Fatalf("new id %s: want sequence 21, past the old mark", n.ID)
	}
	s.Close()
	if got := ids(list(openStore(t, cfg))); len(got) != 3 {
		t.Fatalf("after a second Open: %v", got)
	}
}

// TestOpenImportsLegacyMetadata: the oldest layout (messages/<id>.json
// beside each PDU, and a seq file) is imported too.
func TestOpenImportsLegacyMetadata(t *testing.T) {
	metas, pdus := legacyFixture(t, "a")
	a := metas[0]
	a.Seen = true
	cfg := testConfig(t)
	md := filepath.Join(cfg.Dir, "messages")
	must(t, os.MkdirAll(md, 0o750))
	must(t, os.WriteFile(filepath.Join(md, a.ID+".mms"), pdus[0], 0o600))
	legacy, err := json.MarshalIndent(a, "", "\t")
	must(t, err)
	must(t, os.WriteFile(filepath.Join(md, a.ID+".json"), legacy, 0o600))
	must(t, os.WriteFile(filepath.Join(cfg.Dir, "seq"), []byte("7\n"), 0o600))

	s := openStore(t, cfg)
	got, ok := s.Get(a.ID)
	if !ok || !got.Seen || readAll(t, s, got.ID) != sha(pdus[0]) {
		t.Fatalf("legacy message after Open: %v %+v", ok, got)
	}
	if names := storeNames(t, cfg.Dir); !slices.Equal(names, []string{"lock", logName}) {
		t.Fatalf("store dir after import: %v", names)
	}
	if n, _ := s.Put(message("b", 10)); n.seq != 8 {
		t.Fatalf("new id %s: want sequence 8", n.ID)
	}
}

// TestOpenAfterImportCrash: a crash after the imported log was renamed
// into place but before the old files were removed must not import them
// a second time.
func TestOpenAfterImportCrash(t *testing.T) {
	metas, pdus := legacyFixture(t, "a")
	cfg := testConfig(t)
	md := filepath.Join(cfg.Dir, "messages")
	must(t, os.MkdirAll(md, 0o750))
	must(t, os.WriteFile(filepath.Join(md, metas[0].ID+".mms"), pdus[0], 0o600))
	must(t, os.WriteFile(filepath.Join(cfg.Dir, "journal.jsonl"), []byte(jsonLine(t, map[string]any{"put": metas[0]})), 0o600))
	s := openStore(t, cfg)
	s.Close()
	log, err := os.ReadFile(s.logPath())
	must(t, err)
	must(t, os.MkdirAll(md, 0o750))
	must(t, os.WriteFile(filepath.Join(md, metas[0].ID+".mms"), pdus[0], 0o600))
	must(t, os.WriteFile(filepath.Join(cfg.Dir, "journal.jsonl"), []byte(jsonLine(t, map[string]any{"put": metas[0]})), 0o600))
	s = openStore(t, cfg)
	if got := ids(list(s)); len(got) != 1 {
		t.Fatalf("List = %v, want a once", got)
	}
	if b, _ := os.ReadFile(s.logPath()); !bytes.Equal(b, log) {
		t.Fatal("the log changed: imported twice")
	}
	if names := storeNames(t, cfg.Dir); !slices.Equal(names, []string{"lock", logName}) {
		t.Fatalf("store dir: %v", names)
	}
}

func TestOpenTwiceIsLocked(t *testing.T) {
	cfg := testConfig(t)
	s := openStore(t, cfg)
	if _, err := Open(cfg); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open = %v, want ErrLocked", err)
	}
	s.Close()
	if _, err := s.Put(message("late", 10)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Put after Close = %v, want ErrClosed", err)
	}
	s2 := openStore(t, cfg) // the lock is released
	s2.Close()
}

func TestInvalidIDs(t *testing.T) {
	s := openStore(t, testConfig(t))
	m, _ := s.Put(message("a", 10))
	bad := []string{
		"", "../x", "..", "/etc/passwd", m.ID + "/../x", "x" + m.ID[1:],
		strings.Replace(m.ID, "-", "/", 1), m.ID[:len(m.ID)-1] + "a", m.ID + "\x00",
		strings.Repeat("1", 10000), "20261126-195454-" + strings.Repeat("9", 25),
		"20261126-195454-00001", "20261126-195454-99999999999999999999", // too short; overflows uint64
	}
	for _, id := range bad {
		if _, ok := s.Get(id); ok {
			t.Errorf("Get(%q) found something", id)
		}
		if _, err := s.OpenPDU(id); !errors.Is(err, ErrInvalidID) {
			t.Errorf("OpenPDU(%q) = %v", id, err)
		}
		if _, _, err := s.Part(id, 0); !errors.Is(err, ErrInvalidID) {
			t.Errorf("Part(%q) = %v", id, err)
		}
		if err := s.SetSeen(id, true); !errors.Is(err, ErrInvalidID) {
			t.Errorf("SetSeen(%q) = %v", id, err)
		}
		if err := s.Delete(id); !errors.Is(err, ErrInvalidID) {
			t.Errorf("Delete(%q) = %v", id, err)
		}
	}
	other := "20261126-195454-000002" // well formed, absent
	if err := s.Delete(other); !errors.Is(err, ErrNotFound) {
		t.Errorf("Delete(absent) = %v, want ErrNotFound", err)
	}
	if _, err := s.OpenPDU(other); !errors.Is(err, ErrNotFound) {
		t.Errorf("OpenPDU(absent) = %v, want ErrNotFound", err)
	}
	if len(list(s)) != 1 {
		t.Fatal("a lookup changed the store")
	}
}

func TestDelete(t *testing.T) {
	cfg := testConfig(t)
	s := openStore(t, cfg)
	a, _ := s.Put(message("a", 100))
	b, _ := s.Put(message("b", 100))
	bytesA := s.Stats().Bytes
	if err := s.Delete(b.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Get(b.ID); ok {
		t.Fatal("deleted message still found")
	}
	if err := s.Delete(b.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second Delete = %v", err)
	}
	st := s.Stats()
	if st.Messages != 1 || st.New != 1 || st.Bytes >= bytesA {
		t.Fatalf("Stats after Delete = %+v (bytes before %d)", st, bytesA)
	}
	s.Close()
	if got := ids(list(openStore(t, cfg))); !slices.Equal(got, []string{a.ID}) {
		t.Fatalf("after reopen List = %v", got)
	}
}

func TestSeenState(t *testing.T) {
	cfg := testConfig(t)
	s := openStore(t, cfg)
	var all []Meta
	for i := range 4 {
		m, _ := s.Put(message(fmt.Sprint(i), 10))
		all = append(all, m)
	}
	consistent := func(s *Store, wantNew int) {
		t.Helper()
		st, l := s.Stats(), list(s)
		if st.New != wantNew || countNew(l) != wantNew || st.Messages != len(l) {
			t.Fatalf("Stats.New=%d, unseen in List=%d, want %d", st.New, countNew(l), wantNew)
		}
	}
	consistent(s, 4)
	must(t, s.SetSeen(all[0].ID, true))
	must(t, s.SetSeen(all[0].ID, true)) // no change, no write
	consistent(s, 3)
	must(t, s.SetSeen(all[0].ID, false))
	must(t, s.SetSeen(all[2].ID, true))
	consistent(s, 3)
	s.Close()
	s = openStore(t, cfg)
	consistent(s, 3)
	if m, _ := s.Get(all[2].ID); !m.Seen {
		t.Fatal("seen state lost across reopen")
	}
	must(t, s.MarkAllSeen())
	consistent(s, 0)
	s.Close()
	consistent(openStore(t, cfg), 0)
}

func TestHostileTextIsCleaned(t *testing.T) {
	s := openStore(t, testConfig(t))
	in := message("a", 10)
	in.Msg.Parts[0].ContentType.Params = []mms.Param{{Name: "name", Value: "a\x00b\nc\xff" + strings.Repeat("é", 2000)}}
	in.Msg.Parts[1].ContentType.MediaType = "text/../../x"
	in.Hints = map[string]string{}
	for i := range 100 {
		in.Hints[fmt.Sprintf("h%03d", i)] = strings.Repeat("v", 5000)
	}
	m, err := s.Put(in)
	if err != nil {
		t.Fatal(err)
	}
	name := m.Parts[0].Name
	if strings.ContainsAny(name, "\x00\n") || len(name) > MaxTextLen || !strings.HasPrefix(name, "abc\uFFFDé") {
		t.Fatalf("part name not cleaned: %q…", name[:20])
	}
	if m.Parts[1].File != "part-02.bin" {
		t.Fatalf("unknown type got file name %q", m.Parts[1].File)
	}
	if len(m.Hints) != MaxHints || len(m.Hints["h000"]) != MaxHintLen {
		t.Fatalf("hints not capped: %d entries, %d bytes", len(m.Hints), len(m.Hints["h000"]))
	}
}

func TestPutRefusesBadInput(t *testing.T) {
	s := openStore(t, testConfig(t))
	in := message("a", 10)
	in.Msg = nil
	if _, err := s.Put(in); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil Msg: %v", err)
	}
	in = message("a", 10)
	in.PDU = nil
	if _, err := s.Put(in); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty PDU: %v", err)
	}
	in = message("a", 10)
	in.PDU = make([]byte, MaxPDUSize+1)
	if _, err := s.Put(in); !errors.Is(err, ErrTooLarge) {
		t.Errorf("huge PDU: %v", err)
	}
	if info, err := os.Stat(s.logPath()); err != nil || info.Size() != 0 {
		t.Fatalf("a refused Put wrote to the log: %v, %v", info.Size(), err)
	}
}

// TestWorstCaseMetadataReloads stores a message whose every recorded
// string is as long and as expensive to escape as the limits allow, and
// checks that Open indexes it again rather than calling it damaged.
func TestWorstCaseMetadataReloads(t *testing.T) {
	cfg := testConfig(t)
	s := openStore(t, cfg)
	in := message("w", 10)
	nasty := strings.Repeat(`"\`+"\u2028", mms.MaxString/5)
	part := mms.Part{
		ContentType: mms.ContentType{MediaType: nasty, Params: []mms.Param{{Name: "charset", Value: nasty}, {Name: "name", Value: nasty}}},
		ContentID:   nasty,
	}
	in.Msg.Parts = slices.Repeat([]mms.Part{part}, mms.MaxParts)
	in.Msg.To = slices.Repeat([]mms.Address{{Value: mms.EncodedString{Raw: []byte(nasty)}}}, 2*MaxRecipients)
	in.Msg.Subject = mms.EncodedString{Raw: []byte(nasty)}
	in.Hints = map[string]string{}
	for i := range MaxHints {
		in.Hints[fmt.Sprint(i)+nasty] = nasty
	}
	m, err := s.Put(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.To) != MaxRecipients || len(m.Parts) != mms.MaxParts {
		t.Fatalf("recorded %d recipients, %d parts", len(m.To), len(m.Parts))
	}
	t.Logf("journal line: %d bytes (limit %d)", s.Stats().Bytes-m.Size, maxRecordSize)
	s.Close()
	s = openStore(t, cfg)
	got, ok := s.Get(m.ID)
	if !ok || got.Subject != m.Subject || len(got.Parts) != mms.MaxParts {
		t.Fatalf("worst-case metadata did not reload (found=%v)", ok)
	}
}

// TestDeleteFreesBlocks: deleting a message gives its PDU's blocks back
// at once (a hole in the log), not at the next compaction, and the
// messages around it read as before.
func TestDeleteFreesBlocks(t *testing.T) {
	cfg := testConfig(t)
	s := openStore(t, cfg)
	a, _ := s.Put(encoded(t, "a", 1000))
	b, err := s.Put(encoded(t, "b", 200_000))
	must(t, err)
	c, _ := s.Put(encoded(t, "c", 1000))
	before := allocated(t, s.logPath())
	must(t, s.Delete(b.ID))
	freed := before - allocated(t, s.logPath())
	if freed < 190_000 {
		t.Fatalf("deleting a 200 KB message freed %d bytes of the log's blocks", freed)
	}
	s.Close()
	s = openStore(t, cfg)
	if got := ids(list(s)); !slices.Equal(got, []string{c.ID, a.ID}) {
		t.Fatalf("after reopen: %v", got)
	}
	for _, m := range []Meta{a, c} {
		if _, _, err := s.Part(m.ID, 2); err != nil {
			t.Errorf("Part of %s after the hole beside it: %v", m.ID, err)
		}
	}
}

// allocated is the bytes of disk blocks the file at path holds.
func allocated(t *testing.T, path string) int64 {
	t.Helper()
	var st unix.Stat_t
	must(t, unix.Stat(path, &st))
	return st.Blocks * 512
}

// TestOpenCutsWholeRecordsAfterATornOne: with several writers a power cut
// can leave a whole record after a torn one (pages written back out of
// order). No sync covered either, so neither was acknowledged: both are
// cut off, and a copy of the cut bytes is kept in damaged/ in case the
// card lied about a sync.
func TestOpenCutsWholeRecordsAfterATornOne(t *testing.T) {
	cfg := testConfig(t)
	s := openStore(t, cfg)
	keep, _ := s.Put(message("keep", 100))
	s.Close()
	good := logBytes(t, cfg.Dir)
	// Two records written at once, while only good was synced: both
	// lines say W = len(good).
	var tail []byte
	for i, tag := range []string{"torn", "whole"} {
		in := message(tag, 100)
		m := Meta{ID: makeID(t0, uint64(2+i)), seq: uint64(2 + i), Size: int64(len(in.PDU)), TransactionID: "T" + tag}
		line, err := msgRecord(&m, in.PDU, int64(len(good)))
		must(t, err)
		rec := append(append(line, in.PDU...), '\n')
		if i == 0 {
			rec[10] = 0 // its line never reached the card whole
		}
		tail = append(tail, rec...)
	}
	must(t, os.WriteFile(s.logPath(), append(slices.Clone(good), tail...), 0o640))

	s = openStore(t, cfg)
	if got := ids(list(s)); !slices.Equal(got, []string{keep.ID}) {
		t.Fatalf("List = %v, want only %s", got, keep.ID)
	}
	if b := logBytes(t, cfg.Dir); !bytes.Equal(b, good) {
		t.Fatalf("log of %d bytes after Open, want the %d before the cut", len(b), len(good))
	}
	dmg := dirNames(t, filepath.Join(cfg.Dir, "damaged"))
	if len(dmg) != 1 || !bytes.Contains(mustRead(t, filepath.Join(cfg.Dir, "damaged", dmg[0])), []byte("Twhole")) {
		t.Fatalf("damaged/ holds %v, want a copy of the cut records", dmg)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	must(t, err)
	return b
}
