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

	"github.com/homemmsc/homemmsc/internal/clock/clocktest"
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
		SHA256:     sha(in.PDU),
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
	if names := dirNames(t, s.msgDir); !slices.Equal(names, []string{m.ID + ".mms"}) {
		t.Fatalf("message dir holds %v", names)
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
	if len(list) != n || len(dirNames(t, s.msgDir)) != n {
		t.Fatalf("List has %d, directory %d files; want %d of each", len(list), len(dirNames(t, s.msgDir)), n)
	}
	for i := 1; i < len(list); i++ {
		if list[i-1].seq <= list[i].seq {
			t.Fatalf("List not newest first at %d: %s then %s", i, list[i-1].ID, list[i].ID)
		}
	}
}

func TestIDsSurviveRestartWithClockGoingBack(t *testing.T) {
	cfg := testConfig(t)
	clk := clocktest.New(t0)
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

func TestOpenCleansCrashLeftovers(t *testing.T) {
	cfg := testConfig(t)
	s := openStore(t, cfg)
	keep, _ := s.Put(message("keep", 100))
	metaOnly, _ := s.Put(message("meta-only", 100))
	deleted, _ := s.Put(message("deleted", 100))
	must(t, s.Delete(deleted.ID))
	s.Close()

	md := s.msgDir
	// A Put that crashed before its journal line (a PDU alone); one whose
	// PDU name was lost (a line alone); a Delete that crashed before it
	// removed the PDU; temp files; a torn last line.
	orphan := "20261126-195454-000009"
	must(t, os.WriteFile(filepath.Join(md, orphan+".mms"), []byte("half"), 0o600))
	must(t, os.Remove(filepath.Join(md, metaOnly.ID+".mms")))
	must(t, os.WriteFile(filepath.Join(md, deleted.ID+".mms"), []byte("x"), 0o600))
	must(t, os.WriteFile(filepath.Join(md, ".tmp-journal.jsonl-456"), nil, 0o600))
	must(t, os.WriteFile(filepath.Join(cfg.Dir, ".tmp-seq-789"), []byte("1"), 0o600))
	appendFile(t, filepath.Join(cfg.Dir, journalName), `{"put":{"id":"20261126-195454-000010","si`)

	s = openStore(t, cfg)
	if got := ids(list(s)); !slices.Equal(got, []string{keep.ID}) {
		t.Fatalf("after recovery List = %v, want only %s", got, keep.ID)
	}
	if names := dirNames(t, md); !slices.Equal(names, []string{keep.ID + ".mms"}) {
		t.Fatalf("message dir after recovery: %v", names)
	}
	if names := dirNames(t, cfg.Dir); slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, ".tmp-") }) {
		t.Fatalf("temp file left in %v", names)
	}
	if st := s.Stats(); st.Messages != 1 || st.New != 1 {
		t.Fatalf("Stats = %+v", st)
	}
	// The journal was compacted to the sequence mark and the live message.
	b, err := os.ReadFile(filepath.Join(cfg.Dir, journalName))
	must(t, err)
	if lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n"); len(lines) != 2 ||
		!strings.HasPrefix(lines[0], `{"seq":9}`) || !strings.Contains(lines[1], keep.ID) {
		t.Fatalf("journal after compaction:\n%s", b)
	}
	n, err := s.Put(message("next", 10))
	if err != nil {
		t.Fatal(err)
	}
	if n.seq != 10 {
		t.Fatalf("new id %s: want sequence 10, past every id on disk", n.ID)
	}
}

func appendFile(t *testing.T, name, text string) {
	t.Helper()
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
	must(t, err)
	_, err = f.WriteString(text)
	must(t, errors.Join(err, f.Close()))
}

// TestOpenKeepsOrphansOfDamagedJournal: when a line in the middle of the
// journal is unreadable, a PDU without a line may be a message whose line
// was lost: it goes to damaged/ with a copy of the journal, never deleted.
func TestOpenKeepsOrphansOfDamagedJournal(t *testing.T) {
	cfg := testConfig(t)
	s := openStore(t, cfg)
	a, _ := s.Put(message("a", 100))
	b, _ := s.Put(message("b", 100))
	c, _ := s.Put(message("c", 100))
	s.Close()
	jp := filepath.Join(cfg.Dir, journalName)
	raw, err := os.ReadFile(jp)
	must(t, err)
	lines := strings.SplitAfter(string(raw), "\n")
	lines[1] = strings.Replace(lines[1], `"put"`, `"pu?`, 1) // b's line
	must(t, os.WriteFile(jp, []byte(strings.Join(lines, "")), 0o600))

	s = openStore(t, cfg)
	if got := ids(list(s)); !slices.Equal(got, []string{c.ID, a.ID}) {
		t.Fatalf("List = %v", got)
	}
	dmg := dirNames(t, filepath.Join(cfg.Dir, "damaged"))
	if len(dmg) != 2 || dmg[0] != b.ID+".mms" || !strings.HasPrefix(dmg[1], "journal-") {
		t.Fatalf("damaged/ holds %v, want b's PDU and a copy of the journal", dmg)
	}
}

// TestOpenKeepsPDUsWithoutJournal: a journal removed by hand must not
// make Open delete every message.
func TestOpenKeepsPDUsWithoutJournal(t *testing.T) {
	cfg := testConfig(t)
	s := openStore(t, cfg)
	a, _ := s.Put(message("a", 100))
	s.Close()
	must(t, os.Remove(filepath.Join(cfg.Dir, journalName)))
	s = openStore(t, cfg)
	if len(list(s)) != 0 {
		t.Fatal("a PDU without metadata was indexed")
	}
	if got := dirNames(t, filepath.Join(cfg.Dir, "damaged")); !slices.Equal(got, []string{a.ID + ".mms"}) {
		t.Fatalf("damaged/ holds %v, want the PDU kept for the owner", got)
	}
}

// TestOpenImportsLegacyMetadata: a store of the earlier layout (one
// <id>.json per message) is taken into the journal, not lost.
func TestOpenImportsLegacyMetadata(t *testing.T) {
	cfg := testConfig(t)
	s := openStore(t, cfg)
	a, _ := s.Put(message("a", 100))
	must(t, s.SetSeen(a.ID, true))
	a, _ = s.Get(a.ID)
	s.Close()
	md := s.msgDir
	must(t, os.Remove(filepath.Join(cfg.Dir, journalName)))
	legacy, err := json.MarshalIndent(a, "", "\t")
	must(t, err)
	must(t, os.WriteFile(filepath.Join(md, a.ID+".json"), legacy, 0o600))
	orphan := "20261126-195454-000007"
	must(t, os.WriteFile(filepath.Join(md, orphan+".json"), legacy, 0o600))

	s = openStore(t, cfg)
	got, ok := s.Get(a.ID)
	if !ok || !got.Seen || got.SHA256 != a.SHA256 {
		t.Fatalf("legacy message after Open: %v %+v", ok, got)
	}
	if names := dirNames(t, md); !slices.Equal(names, []string{a.ID + ".mms"}) {
		t.Fatalf("message dir after import: %v", names)
	}
	s.Close()
	if got := ids(list(openStore(t, cfg))); !slices.Equal(got, []string{a.ID}) {
		t.Fatalf("after a second Open: %v", got)
	}
}

func TestOpenQuarantinesSizeMismatch(t *testing.T) {
	cfg := testConfig(t)
	s := openStore(t, cfg)
	m, _ := s.Put(message("x", 100))
	s.Close()
	must(t, os.WriteFile(filepath.Join(s.msgDir, m.ID+".mms"), []byte("short"), 0o600))
	s = openStore(t, cfg)
	if len(list(s)) != 0 {
		t.Fatal("an entry whose PDU does not match its metadata was indexed")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
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
	if names := dirNames(t, s.msgDir); !slices.Equal(names, []string{a.ID + ".mms"}) {
		t.Fatalf("files after Delete: %v", names)
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
	if names := dirNames(t, s.msgDir); !slices.Equal(names, nil) {
		t.Fatalf("a refused Put wrote files: %v", names)
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
