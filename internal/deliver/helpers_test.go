package deliver

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/faketime"
	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/outbox"
	"github.com/homemmsc/homemmsc/internal/phones"
	"github.com/homemmsc/homemmsc/internal/store"
)

var t0 = time.Date(2026, 11, 26, 20, 0, 0, 0, time.UTC)

// Numbers of the test phones.
const (
	numA = "+15551110001" // Anna, the sender
	numB = "+15552220002" // Ben, a paired recipient
	numC = "+15553330003" // Carl, not paired
)

// Tokens of the test phones in the registry.
const (
	tokA = "tokenAnna-0123456789abcdef"
	tokB = "tokenBen-0123456789abcdefg"
)

// testPhones is a real registry, in memory, with A and B.
func testPhones(t *testing.T) *phones.Registry {
	t.Helper()
	r, err := phones.Open("", []phones.Phone{
		{Name: "Anna", Number: numA, Token: tokA},
		{Name: "Ben", Number: numB, Token: tokB},
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// sent is one thing the fake pusher sent.
type sent struct {
	to   string
	pdu  []byte // a push
	text string // a plain SMS
}

// fakePusher records what is sent; fail makes the next calls fail.
type fakePusher struct {
	mu   sync.Mutex
	sent []sent
	fail []error // errors for the next pushes, in order
	// onPush, when set, runs after a push is sent and before Push
	// returns: a phone that answers before the modem call is over.
	onPush func(to string, pdu []byte)
}

func (f *fakePusher) Push(_ context.Context, to string, pdu []byte) error {
	f.mu.Lock()
	if len(f.fail) > 0 {
		err := f.fail[0]
		f.fail = f.fail[1:]
		f.mu.Unlock()
		return err
	}
	f.sent = append(f.sent, sent{to: to, pdu: bytes.Clone(pdu)})
	onPush := f.onPush
	f.mu.Unlock()
	if onPush != nil {
		onPush(to, pdu)
	}
	return nil
}

func (f *fakePusher) Text(_ context.Context, to, text string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, sent{to: to, text: text})
	return nil
}

func (f *fakePusher) all() []sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sent(nil), f.sent...)
}

// pushes decodes the pushes sent to a number.
func (f *fakePusher) pushes(t *testing.T, to string) []*mms.Message {
	t.Helper()
	var out []*mms.Message
	for _, s := range f.all() {
		if s.to != to || s.pdu == nil {
			continue
		}
		m, err := mms.Decode(s.pdu)
		if err != nil {
			t.Fatalf("push to %s does not decode: %v", to, err)
		}
		out = append(out, m)
	}
	return out
}

var errPermanent = errors.New("fake: number refused")

type env struct {
	t      *testing.T
	clock  *faketime.Fake
	st     *store.Store
	pusher *fakePusher
	phones *phones.Registry
	dir    string
	d      *Deliverer
	fit    func(id string, limit int, conf *mms.Message, size int) (*mms.Message, error) // Config.Fit
	synced atomic.Bool                                                                   // the store's ClockSynced
	track  bool                                                                          // the Deliverer's Synced is synced.Load; else nil
	box    *outbox.Outbox                                                                // the sends wait here; drain sends them
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, clock: faketime.New(t0), pusher: &fakePusher{}, phones: testPhones(t), dir: t.TempDir()}
	st, err := store.Open(store.Config{Dir: t.TempDir(), MinFree: -1, Now: e.clock.Now, ClockSynced: e.synced.Load})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.st = st
	box, err := outbox.Open(outbox.Config{Dir: t.TempDir(), MinSpacing: -1, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { box.Close() })
	e.box = box
	e.open()
	return e
}

// open (re)opens the Deliverer on the same state directory.
func (e *env) open() {
	e.t.Helper()
	cfg := Config{
		Dir: e.dir, PublicURL: "http://mms.example.org:8080/", Store: e.st, Phones: e.phones, Pusher: e.pusher, Outbox: e.box,
		Temporary: func(err error) bool { return !errors.Is(err, errPermanent) },
		Now:       e.clock.Now,
		Fit:       e.fit,
	}
	if e.track {
		cfg.Synced = e.synced.Load
	}
	d, err := Open(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	e.d = d
}

// sendReq is A's M-Send.req: SMIL, text and image, to B and C.
func sendReq(edit func(*mms.Message)) *mms.Message {
	m := &mms.Message{
		Type: mms.TypeSendReq, TransactionID: "T-a-1", Version: mms.Version12,
		From:        mms.Address{Insert: true},
		To:          []mms.Address{mms.PLMN(numB), mms.PLMN(numC)},
		Subject:     mms.Text("Hi Ben"),
		ContentType: mms.ContentType{MediaType: mediaRelated, Params: []mms.Param{{Name: "start", Value: "<smil>"}, {Name: "type", Value: mediaSMIL}}},
		Parts: []mms.Part{
			{ContentType: mms.ContentType{MediaType: mediaSMIL}, ContentID: "<smil>", ContentLocation: "smil.xml",
				Data: []byte(`<smil><body><par><img src="cat.jpg"/><text src="text.txt"/></par></body></smil>`)},
			{ContentType: mms.ContentType{MediaType: "text/plain", Params: []mms.Param{{Name: "charset", Value: "utf-8"}}},
				ContentLocation: "text.txt", Data: []byte("Look <b>at</b> this & that")},
			{ContentType: mms.ContentType{MediaType: "image/jpeg"}, ContentLocation: "cat.jpg",
				Data: bytes.Repeat([]byte{0xFF, 0xD8, 0x00, 0x42}, 500)},
		},
	}
	if edit != nil {
		edit(m)
	}
	return m
}

// put stores a message from A and hands it to the Deliverer.
func (e *env) put(m *mms.Message) string {
	e.t.Helper()
	pdu, err := m.Encode()
	if err != nil {
		e.t.Fatal(err)
	}
	msg, err := mms.Decode(pdu)
	if err != nil {
		e.t.Fatal(err)
	}
	meta, err := e.st.Put(storeIncoming(pdu, msg))
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.d.add(meta.ID); err != nil {
		e.t.Fatal(err)
	}
	return meta.ID
}

// drain does every job that is due now, then what the publisher would.
// notifiedWithReport stores a message whose sender asks for delivery
// reports, delivers it, and returns its id and B's first notification.
func (e *env) notifiedWithReport() (string, *mms.Message) {
	e.t.Helper()
	id := e.put(sendReq(func(m *mms.Message) { m.DeliveryReport = mms.Yes }))
	e.drain()
	return id, e.pusher.pushes(e.t, numB)[0]
}

// drain does every job that is due now: Run's part (hand it to the
// outbox) and the outbox's (send it), then what the publisher would.
func (e *env) drain() {
	defer e.publish()
	for range 100 {
		j, ok := e.d.due()
		if ok {
			e.d.enqueue(j)
		}
		if !e.box.SendNext(context.Background()) && !ok {
			return
		}
	}
	e.t.Fatal("drain: jobs keep coming")
}

// publish does the publisher's queued work.
func (e *env) publish() {
	for {
		select {
		case id := <-e.d.pub:
			e.d.publish(id)
		default:
			return
		}
	}
}

func (e *env) state(id string, i int) Recipient {
	e.t.Helper()
	rs := e.d.States(id)
	if i >= len(rs) {
		e.t.Fatalf("message %s has %d recipients, want index %d", id, len(rs), i)
	}
	return rs[i]
}

// get fetches a URL path from the Deliverer's handler.
func (e *env) get(path string, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.RemoteAddr = "198.51.100.7:4242"
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	e.d.Handler().ServeHTTP(w, req)
	return w
}

// retrieve GETs a Content-Location and decodes the M-Retrieve.conf.
func (e *env) retrieve(location string) *mms.Message {
	e.t.Helper()
	const base = "http://mms.example.org:8080"
	if len(location) < len(base) || location[:len(base)] != base {
		e.t.Fatalf("Content-Location %q is not on the public URL", location)
	}
	w := e.get(location[len(base):], "User-Agent", "TestPhone/1.0")
	if w.Code != http.StatusOK {
		e.t.Fatalf("GET %s: HTTP %d", location, w.Code)
	}
	if ct := w.Header().Get("Content-Type"); ct != mmsContentType {
		e.t.Fatalf("GET %s: Content-Type %q", location, ct)
	}
	m, err := mms.Decode(w.Body.Bytes())
	if err != nil {
		e.t.Fatalf("GET %s: %v", location, err)
	}
	return m
}

func (e *env) report(from string, typ mms.MessageType, tid string, status byte) error {
	return e.d.Report(from, &mms.Message{Type: typ, TransactionID: tid, Version: mms.Version12, Status: status})
}

// storeIncoming is a message from Anna as the MMSC hands it to the store.
func storeIncoming(pdu []byte, msg *mms.Message) store.Incoming {
	return store.Incoming{PDU: pdu, Msg: msg, Sender: store.Sender{Number: numA, Name: "Anna", Source: "token"}}
}
