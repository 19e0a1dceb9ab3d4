package mmsc

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/store"
)

// corpusSendReqs are the real M-Send.req PDUs of the corpus (MANIFEST.md)
// with their Transaction-Id and MMS-Version.
var corpusSendReqs = []struct {
	file    string
	tid     string
	version mms.Version
}{
	{"gammu__HelloWorld.mms", "", 0},
	{"mms-engine__test_mms_codec_data_m-send_1.req", "", 0},
	{"mms-engine__test_mms_codec_data_m-send_2.req", "", 0},
	{"mmsd__sr-mms-mixed.mms", "000000000001", mms.Version10},
	{"python-messaging__27d0a048cd79555de05283a22372b0eb.mms", "3-31cb", mms.Version10},
	{"python-messaging__SEC-SGHS300M.mms", "31887", mms.Version10},
	{"python-messaging__gallery2test.mms", "1118775337", mms.Version10},
	{"python-messaging__iPhone.mms", "1262957356-3", mms.Version12},
	{"python-messaging__images_are_cut_off_debug.mms", "2112410527", mms.Version10},
	{"python-messaging__projekt_exempel.mms", "4-fc60", mms.Version10},
}

// TestCorpusSendReqStored posts every real M-Send.req through a paired
// phone's URL into a real store and checks the reply and the stored bytes.
func TestCorpusSendReqStored(t *testing.T) {
	dir := corpusDir(t)
	st := openStore(t, time.Now)
	h := NewHandler(Config{Store: st, Phones: testPhones, MaxSize: MaxMaxSize})
	for _, tc := range corpusSendReqs {
		body, err := os.ReadFile(filepath.Join(dir, tc.file))
		if err != nil {
			t.Fatal(err)
		}
		c := confOf(t, post(h, "/mms/"+tokA, body, "User-Agent", "corpus"))
		if c.ResponseStatus != mms.StatusOk {
			t.Errorf("%s: status %#x, want Ok", tc.file, c.ResponseStatus)
			continue
		}
		if tc.tid != "" && c.TransactionID != tc.tid {
			t.Errorf("%s: Transaction-Id %q, want %q", tc.file, c.TransactionID, tc.tid)
		}
		if tc.version != 0 && c.Version != mms.ReplyVersion(tc.version) {
			t.Errorf("%s: version %#x, want %#x", tc.file, c.Version, mms.ReplyVersion(tc.version))
		}
		m, ok := st.Get(c.MessageID)
		if !ok {
			t.Errorf("%s: Message-ID %q not in the store", tc.file, c.MessageID)
			continue
		}
		if got := storedPDU(t, st, m.ID); !bytes.Equal(got, body) || m.Size != int64(len(body)) {
			t.Errorf("%s: stored %d bytes (size %d), not the %d posted", tc.file, len(got), m.Size, len(body))
		}
		if m.Sender.Source != SourceToken || m.Hints["user-agent"] != "corpus" {
			t.Errorf("%s: sender %+v hints %v", tc.file, m.Sender, m.Hints)
		}
	}
	if n := st.Stats().Messages; n != len(corpusSendReqs) {
		t.Errorf("store lists %d messages, want %d", n, len(corpusSendReqs))
	}
}

// TestCorpusOthersRefused posts every other corpus PDU: nothing is stored
// and each gets unsupported-message (another PDU type) or
// message-format-corrupt (truncated or not MMS at all).
func TestCorpusOthersRefused(t *testing.T) {
	dir := corpusDir(t)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	isSendReq := map[string]bool{}
	for _, tc := range corpusSendReqs {
		isSendReq[tc.file] = true
	}
	fs := &fakeStore{}
	h := NewHandler(Config{Store: fs, Phones: testPhones, MaxSize: MaxMaxSize})
	seen := 0
	for _, e := range entries {
		if isSendReq[e.Name()] {
			continue
		}
		body, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		c := confOf(t, post(h, "/mms/"+tokA, body))
		want := mms.StatusErrUnsupportedMessage
		if strings.HasPrefix(e.Name(), "derived__send-req") || strings.Contains(e.Name(), "Garbage") ||
			strings.Contains(e.Name(), "UnparsableResp") {
			want = status(outCorrupt)
		}
		if c.ResponseStatus != want {
			t.Errorf("%s: status %#x, want %#x", e.Name(), c.ResponseStatus, want)
		}
		seen++
	}
	fs.none(t)
	if seen < 50 {
		t.Errorf("only %d non-M-Send.req corpus files, want the 55 of MANIFEST.md", seen)
	}
}

// TestConcurrentSameSecond posts 50 messages at once with the clock
// stopped: 50 distinct Message-IDs, 50 stored entries.
func TestConcurrentSameSecond(t *testing.T) {
	frozen := time.Date(2026, 11, 26, 20, 0, 0, 0, time.UTC)
	st := openStore(t, func() time.Time { return frozen })
	h := NewHandler(Config{Store: st, Phones: testPhones})
	srv := httptest.NewServer(h)
	defer srv.Close()

	const n = 50
	ids := make([]string, n)
	bodies := make([][]byte, n)
	for i := range bodies {
		bodies[i] = sendReq(t, mms.Version12, func(m *mms.Message) { m.Parts[0].Data = []byte{byte(i)} })
	}
	var wg sync.WaitGroup
	for i, body := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := srv.Client().Post(srv.URL+"/mms/"+tokA, ContentType, bytes.NewReader(body))
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			var b bytes.Buffer
			b.ReadFrom(resp.Body)
			c, err := mms.Decode(b.Bytes())
			if err != nil || c.ResponseStatus != mms.StatusOk {
				t.Errorf("post %d: %v, %+v", i, err, c)
				return
			}
			ids[i] = c.MessageID
		}()
	}
	wg.Wait()
	distinct := map[string]bool{}
	for _, id := range ids {
		if id == "" {
			t.Fatal("a post got no Message-ID")
		}
		distinct[id] = true
	}
	if len(distinct) != n {
		t.Fatalf("%d distinct Message-IDs for %d posts", len(distinct), n)
	}
	if got := st.Stats().Messages; got != n {
		t.Fatalf("store lists %d messages, want %d", got, n)
	}
	for id := range distinct {
		if _, ok := st.Get(id); !ok {
			t.Errorf("Message-ID %q not in the store", id)
		}
	}
}

// TestRealStoreFull fills a real store's quota: the next post gets a
// transient failure and is not listed.
func TestRealStoreFull(t *testing.T) {
	st, err := store.Open(store.Config{Dir: t.TempDir(), MaxBytes: 4 << 10, MinFree: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h := NewHandler(Config{Store: st, Phones: testPhones})
	big := sendReq(t, mms.Version12, func(m *mms.Message) { m.Parts[0].Data = make([]byte, 8<<10) })
	textOf(t, post(h, "/mms/"+tokA, big), http.StatusServiceUnavailable)
	if n := st.Stats().Messages; n != 0 {
		t.Fatalf("store lists %d messages after a refused one", n)
	}
}

func openStore(t testing.TB, now func() time.Time) *store.Store {
	t.Helper()
	st, err := store.Open(store.Config{Dir: t.TempDir(), Now: now, MinFree: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	return st
}

// storedPDU reads a stored message's PDU back from the store.
func storedPDU(t *testing.T, st *store.Store, id string) []byte {
	t.Helper()
	f, err := st.OpenPDU(id)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
