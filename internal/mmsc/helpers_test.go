package mmsc

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/phones"
	"github.com/homemmsc/homemmsc/internal/store"
	"github.com/homemmsc/homemmsc/internal/testcorpus"
)

// fakeStore is a strict stand-in for the store: it records every Put and
// answers with err, or with sequential ids.
type fakeStore struct {
	mu   sync.Mutex
	err  error
	id   string // if set, returned as the id (even empty with noID)
	noID bool
	puts []store.Incoming
}

func (f *fakeStore) Put(in store.Incoming) (store.Meta, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.puts = append(f.puts, in)
	if f.err != nil {
		return store.Meta{}, f.err
	}
	id := f.id
	if id == "" && !f.noID {
		id = fmt.Sprintf("fake-%d", len(f.puts))
	}
	return store.Meta{ID: id, Sender: in.Sender, Hints: in.Hints}, nil
}

func (f *fakeStore) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.puts)
}

// only returns the single Put the test expects.
func (f *fakeStore) only(t *testing.T) store.Incoming {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.puts) != 1 {
		t.Fatalf("store got %d messages, want 1", len(f.puts))
	}
	return f.puts[0]
}

// none checks that nothing was stored.
func (f *fakeStore) none(t *testing.T) {
	t.Helper()
	if n := f.count(); n != 0 {
		t.Fatalf("store got %d messages, want none", n)
	}
}

// logRecorder keeps the log records of a test.
type logRecorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logRecorder) WithGroup(string) slog.Handler            { return l }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, r.Clone())
	return nil
}

// attrs returns the attributes of the records with the given message.
func (l *logRecorder) attrs(msg string) []map[string]slog.Value {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]slog.Value
	for _, r := range l.records {
		if r.Message != msg {
			continue
		}
		m := map[string]slog.Value{}
		r.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value; return true })
		out = append(out, m)
	}
	return out
}

// Tokens of the test phones.
const (
	tokA = "Q2xhcmEtcGhvbmUtdG9rZW4"
	tokB = "x9_Kd-3mPq7ZtW2vLr8n"
)

// testPhones are the paired phones of the tests.
var testPhones = func() *phones.Registry {
	r, err := phones.Open("", []phones.Phone{
		{Name: "Anna", Number: "+15551234567", Token: tokA},
		{Name: "Ben", Number: "+15557654321", Token: tokB},
	})
	if err != nil {
		panic(err)
	}
	return r
}()

// sendReq builds an M-Send.req with the codec's encoder: version v, the
// insert-address token as From (what phones send), one text part. edit
// changes it before encoding.
func sendReq(t testing.TB, v mms.Version, edit func(*mms.Message)) []byte {
	t.Helper()
	m := &mms.Message{
		Type:          mms.TypeSendReq,
		TransactionID: "T-0001",
		Version:       v,
		From:          mms.Address{Insert: true},
		To:            []mms.Address{{Value: mms.EncodedString{Raw: []byte("+15550001111/TYPE=PLMN")}}},
		Subject:       mms.EncodedString{Charset: mms.CharsetUTF8, Raw: []byte("Hello")},
		ContentType:   mms.ContentType{MediaType: "application/vnd.wap.multipart.mixed"},
		Parts: []mms.Part{{
			ContentType: mms.ContentType{MediaType: "text/plain", Params: []mms.Param{{Name: "charset", Value: "utf-8"}}},
			ContentID:   "<t1>",
			Data:        []byte("hello from a test"),
		}},
	}
	if edit != nil {
		edit(m)
	}
	b, err := m.Encode()
	if err != nil {
		t.Fatalf("encoding test M-Send.req: %v", err)
	}
	return b
}

// post sends body to h as a phone does.
func post(h http.Handler, path string, body []byte, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", ContentType)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// conf checks that rec is an HTTP 200 M-Send.conf and returns it decoded.
func confOf(t *testing.T, rec *httptest.ResponseRecorder) *mms.Message {
	t.Helper()
	checkCommon(t, rec)
	if rec.Code != http.StatusOK {
		t.Fatalf("HTTP %d %q, want 200 with an M-Send.conf", rec.Code, rec.Body.String())
	}
	if ct := rec.Header().Get("Content-Type"); ct != ContentType {
		t.Fatalf("Content-Type %q, want %q", ct, ContentType)
	}
	body := rec.Body.Bytes()
	m, err := mms.Decode(body)
	if err != nil {
		t.Fatalf("our M-Send.conf does not decode: %v\n% x", err, body)
	}
	if m.Type != mms.TypeSendConf {
		t.Fatalf("reply type %#x, want m-send-conf", m.Type)
	}
	// Message-Type, Transaction-Id, MMS-Version first, in that order.
	if len(body) < 3 || body[0] != 0x8C || body[1] != 0x81 || body[2] != 0x98 {
		t.Fatalf("reply does not start with Message-Type then Transaction-Id: % x", body[:min(8, len(body))])
	}
	if m.TransactionID == "" {
		t.Fatal("reply has an empty Transaction-Id")
	}
	if m.ResponseStatus == mms.StatusOk && m.MessageID == "" {
		t.Fatal("Ok without a Message-ID")
	}
	if m.ResponseStatus != mms.StatusOk && m.MessageID != "" {
		t.Fatalf("error status %#x with Message-ID %q", m.ResponseStatus, m.MessageID)
	}
	return m
}

// textOf checks that rec is a short plain-text answer with the code.
func textOf(t *testing.T, rec *httptest.ResponseRecorder, code int) string {
	t.Helper()
	checkCommon(t, rec)
	if rec.Code != code {
		t.Fatalf("HTTP %d %q, want %d", rec.Code, rec.Body.String(), code)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Fatalf("Content-Type %q, want plain text", ct)
	}
	if rec.Body.Len() == 0 || rec.Body.Len() > 200 {
		t.Fatalf("body of %d bytes, want a short line", rec.Body.Len())
	}
	return rec.Body.String()
}

func checkCommon(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	if cc := rec.Header().Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control %q, want no-cache", cc)
	}
	if rec.Code >= 300 && rec.Code < 400 {
		t.Errorf("redirect %d: phones treat it as failure", rec.Code)
	}
}

func corpusDir(t *testing.T) string { return testcorpus.Dir(t, "mms") }

func readCorpus(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpusDir(t), name))
	if err != nil {
		t.Fatalf("corpus file: %v", err)
	}
	return b
}

// countingReader counts what the handler read of a body.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
