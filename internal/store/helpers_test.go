package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/faketime"
	"github.com/homemmsc/homemmsc/internal/mms"
)

var t0 = time.Date(2026, 11, 26, 19, 54, 54, 0, time.UTC)

func testConfig(t *testing.T) Config {
	t.Helper()
	c := faketime.New(t0)
	return Config{
		Dir:         t.TempDir(),
		MinFree:     -1, // the test machine's free space is not the test's business
		Now:         c.Now,
		ClockSynced: func() bool { return true },
	}
}

func openStore(t *testing.T, cfg Config) *Store {
	t.Helper()
	s, err := Open(cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// message builds an M-Send.req by hand: a SMIL part, a text part and an
// image of imgSize bytes. The PDU bytes are a stand-in with a unique tag;
// the store does not parse them at Put.
func message(tag string, imgSize int) Incoming {
	img := bytes.Repeat([]byte{0xFF, 0xD8, 0x42}, imgSize/3+1)[:imgSize]
	msg := &mms.Message{
		Type:          mms.TypeSendReq,
		TransactionID: "T" + tag,
		Version:       mms.Version12,
		From:          mms.Address{Insert: true},
		To: []mms.Address{
			{Value: mms.EncodedString{Raw: []byte("+15551234567/TYPE=PLMN")}},
			{Value: mms.EncodedString{Raw: []byte("a@example.org")}},
		},
		Cc:          []mms.Address{{Value: mms.EncodedString{Raw: []byte("+15557654321/TYPE=PLMN")}}},
		Subject:     mms.EncodedString{Charset: mms.CharsetUTF8, Raw: []byte("Grüße " + tag)},
		ContentType: mms.ContentType{MediaType: "application/vnd.wap.multipart.related"},
		Parts: []mms.Part{
			{ContentType: mms.ContentType{MediaType: "application/smil", Params: []mms.Param{{Name: "name", Value: "smil.xml"}}}, ContentID: "<smil>", Data: []byte("<smil/>")},
			{ContentType: mms.ContentType{MediaType: "text/plain", Params: []mms.Param{{Name: "charset", Value: "utf-8"}}}, ContentLocation: "text_0.txt", Data: []byte("hello " + tag)},
			{ContentType: mms.ContentType{MediaType: "image/jpeg"}, ContentDisposition: "attachment", DispositionParams: []mms.Param{{Name: "filename", Value: "../../etc/passwd"}}, Data: img},
		},
	}
	pdu := append([]byte{0x8C, 0x80, 0x98}, []byte("T"+tag+"\x00")...)
	pdu = append(pdu, img...)
	return Incoming{
		PDU:        pdu,
		Msg:        msg,
		Sender:     Sender{Number: "+15550001111", Name: "Alice", Source: "token"},
		Hints:      map[string]string{"User-Agent": "Nokia6230i", "x-wap-profile": "http://nds.nokia.com/uaprof/N6230ir200.xml"},
		RemoteAddr: "192.0.2.7:5000",
	}
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// storeNames is dirNames of a store's directory without the index
// checkpoint, which Close leaves and which may be there or not.
func storeNames(t *testing.T, dir string) []string {
	t.Helper()
	return slices.DeleteFunc(dirNames(t, dir), func(n string) bool { return n == ckptName })
}

// crashClose closes s and removes the index checkpoint Close wrote: the
// directory as a crash after the last sync leaves it, for tests that
// then edit the log to stand for what a power cut can leave, which a
// clean Close (it syncs all before the checkpoint) cannot.
func crashClose(t *testing.T, s *Store) {
	t.Helper()
	must(t, s.Close())
	if err := os.Remove(s.ckptPath()); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
}

// dirNames lists the names in dir, sorted.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	sort.Strings(names)
	return names
}

func ids(ms []Meta) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

func countNew(ms []Meta) int {
	n := 0
	for _, m := range ms {
		if !m.Seen {
			n++
		}
	}
	return n
}

// faultFS is the real filesystem with one fault armed: the first call of
// the named operation whose counter reaches the trigger fails with err.
// Writes and syncs of the journal count as "write" and "sync" too.
// Check verifies the fault fired, so a test cannot pass without it.
type faultFS struct {
	osFS
	mu      sync.Mutex
	op      string // "write", "sync", "close", "rename", "syncdir", "create"
	after   int    // calls of op that succeed before the fault
	err     error
	calls   int
	fired   int
	free    int64 // if non-zero, Free reports this
	removed []string
}

func (f *faultFS) hit(op string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if op != f.op || f.err == nil {
		return nil
	}
	f.calls++
	if f.calls > f.after {
		f.fired++
		return f.err
	}
	return nil
}

func (f *faultFS) check(t *testing.T) {
	t.Helper()
	if f.err != nil && f.fired == 0 {
		t.Fatalf("fault %q was armed but never fired", f.op)
	}
}

func (f *faultFS) disarm() { f.mu.Lock(); f.err = nil; f.mu.Unlock() }

func (f *faultFS) CreateTemp(dir, pattern string) (file, error) {
	if err := f.hit("create"); err != nil {
		return nil, &os.PathError{Op: "open", Path: filepath.Join(dir, pattern), Err: err}
	}
	return f.wrap(f.osFS.CreateTemp(dir, pattern))
}

func (f *faultFS) OpenAppend(name string) (file, error) {
	return f.wrap(f.osFS.OpenAppend(name))
}

func (f *faultFS) wrap(fl file, err error) (file, error) {
	if err != nil {
		return nil, err
	}
	return &faultFile{file: fl, fs: f}, nil
}

func (f *faultFS) Rename(o, n string) error {
	if err := f.hit("rename"); err != nil {
		return &os.LinkError{Op: "rename", Old: o, New: n, Err: err}
	}
	return f.osFS.Rename(o, n)
}

func (f *faultFS) Remove(name string) error {
	f.mu.Lock()
	f.removed = append(f.removed, filepath.Base(name))
	f.mu.Unlock()
	return f.osFS.Remove(name)
}

func (f *faultFS) SyncDir(dir string) error {
	if err := f.hit("syncdir"); err != nil {
		return &os.PathError{Op: "sync", Path: dir, Err: err}
	}
	return f.osFS.SyncDir(dir)
}

func (f *faultFS) Free(dir string) (int64, error) {
	if f.free != 0 {
		return f.free, nil
	}
	return f.osFS.Free(dir)
}

type faultFile struct {
	file
	fs *faultFS
}

func (f *faultFile) Write(p []byte) (int, error) {
	if err := f.fs.hit("write"); err != nil {
		// A full disk typically accepts part of the write.
		n, _ := f.file.Write(p[:len(p)/2])
		return n, &os.PathError{Op: "write", Path: f.Name(), Err: err}
	}
	return f.file.Write(p)
}

func (f *faultFile) Sync() error {
	if err := f.fs.hit("sync"); err != nil {
		return &os.PathError{Op: "sync", Path: f.Name(), Err: err}
	}
	return f.file.Sync()
}

func (f *faultFile) Close() error {
	err := f.file.Close()
	if ferr := f.fs.hit("close"); ferr != nil {
		return &os.PathError{Op: "close", Path: f.Name(), Err: ferr}
	}
	return err
}

// list is every message, newest first, with its whole metadata.
func list(s *Store) []Meta {
	page, _ := s.Query(Query{})
	return page
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// encoded returns a real M-Send.req of about size bytes (SMIL, text and
// an image part), encoded by the codec, and its decoded form.
func encoded(tb testing.TB, tag string, size int) Incoming {
	tb.Helper()
	in := message(tag, max(size-400, 1))
	pdu, err := in.Msg.Encode()
	if err != nil {
		tb.Fatal(err)
	}
	msg, err := mms.Decode(pdu)
	if err != nil {
		tb.Fatal(err)
	}
	in.PDU, in.Msg = pdu, msg
	return in
}
