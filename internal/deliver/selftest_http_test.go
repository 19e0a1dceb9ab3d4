package deliver

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/outbox"
	"github.com/homemmsc/homemmsc/internal/phones"
	"github.com/homemmsc/homemmsc/internal/store"
)

// fetchingPusher plays a phone that fetches every notification at once
// and reports it retrieved.
type fetchingPusher struct{ d *Deliverer }

func (f *fetchingPusher) Push(_ context.Context, _ string, pdu []byte) error {
	n, err := mms.Decode(pdu)
	if err != nil {
		return err
	}
	u, _ := url.Parse(n.ContentLocation)
	go func() {
		req := httptest.NewRequest(http.MethodGet, u.Path, nil)
		req.Header.Set("User-Agent", "Fetcher/2.0")
		f.d.Handler().ServeHTTP(httptest.NewRecorder(), req)
		f.d.Report("", &mms.Message{Type: mms.TypeNotifyRespInd, TransactionID: n.TransactionID, Status: mms.DeliveryRetrieved})
	}()
	return nil
}

func (f *fetchingPusher) Text(context.Context, string, string) error { return nil }

// benPhone is the one paired phone of the self-test tests.
var benPhone = phones.Phone{Name: "Ben", Number: "+15552220002", Token: "tokenBen-0123456789abcdefg"}

// benDeliverer opens a store, a registry of benPhone alone and a Deliverer
// sending through p.
func benDeliverer(t *testing.T, p Pusher) (*Deliverer, *phones.Registry) {
	t.Helper()
	st, err := store.Open(store.Config{Dir: t.TempDir(), MinFree: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	reg, err := phones.Open("", []phones.Phone{benPhone})
	if err != nil {
		t.Fatal(err)
	}
	box, err := outbox.Open(outbox.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { box.Close() })
	d, err := Open(Config{Dir: t.TempDir(), PublicURL: "http://mms.example.org", Store: st, Phones: reg, Pusher: p, Outbox: box})
	if err != nil {
		t.Fatal(err)
	}
	return d, reg
}

func TestSelfTestHandler(t *testing.T) {
	fp := &fetchingPusher{}
	d, reg := benDeliverer(t, fp)
	fp.d = d
	h := SelfTestHandler(d, reg, time.Minute)
	do := func(method, target string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(method, target, nil)
		r.RemoteAddr = "127.0.0.1:40000"
		h.ServeHTTP(w, r)
		return w
	}
	if w := do(http.MethodPost, "/selftest?phone=ben"); w.Code != http.StatusOK ||
		!strings.Contains(w.Body.String(), "user agent: Fetcher/2.0") || !strings.Contains(w.Body.String(), "OK:") || !strings.Contains(w.Body.String(), "phone reported: retrieved") {
		t.Errorf("self-test of Ben: HTTP %d\n%s", w.Code, w.Body)
	}
	if w := do(http.MethodPost, "/selftest?phone=Nobody"); w.Code != http.StatusNotFound {
		t.Errorf("unknown phone: HTTP %d", w.Code)
	}
	if w := do(http.MethodGet, "/selftest?phone=Ben"); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET: HTTP %d", w.Code)
	}
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, "/selftest?phone=Ben", nil)
	r.RemoteAddr = "[::1]:40000"
	SelfTestHandler(nil, reg, time.Minute).ServeHTTP(w, r)
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("delivery off: HTTP %d", w.Code)
	}
}

// countingPusher counts the notifications it is asked to send.
type countingPusher struct{ n atomic.Int32 }

func (c *countingPusher) Push(context.Context, string, []byte) error { c.n.Add(1); return nil }
func (c *countingPusher) Text(context.Context, string, string) error { c.n.Add(1); return nil }

// TestSelfTestLoopbackOnly: /selftest has no password and sends an SMS,
// so a client elsewhere on the LAN is refused before anything is sent.
func TestSelfTestLoopbackOnly(t *testing.T) {
	cp := &countingPusher{}
	d, reg := benDeliverer(t, cp)
	h := SelfTestHandler(d, reg, time.Millisecond)
	lanIP := &net.TCPAddr{IP: net.ParseIP("192.168.1.10"), Port: 8081}
	for _, c := range []struct {
		remote string
		local  net.Addr
		want   int
	}{
		{"192.168.1.50:40000", lanIP, http.StatusForbidden},
		{"10.0.0.1:40000", nil, http.StatusForbidden},
		{"0.0.0.0:40000", &net.TCPAddr{IP: net.IPv4zero, Port: 8081}, http.StatusForbidden},
		{"garbage", nil, http.StatusForbidden},
		{"127.0.0.1:40000", lanIP, http.StatusOK},
		{"[::1]:40000", nil, http.StatusOK},
		{"[::ffff:127.0.0.1]:40000", nil, http.StatusOK},
		{"192.168.1.10:40000", lanIP, http.StatusOK}, // the CLI dialling -lan 192.168.1.10:8081
	} {
		before := cp.n.Load()
		r := httptest.NewRequest(http.MethodPost, "/selftest?phone=Ben", nil)
		r.RemoteAddr = c.remote
		if c.local != nil {
			r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, c.local))
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != c.want {
			t.Errorf("from %s: HTTP %d, want %d: %s", c.remote, w.Code, c.want, w.Body)
		}
		if sent := cp.n.Load() - before; c.want == http.StatusForbidden && sent != 0 {
			t.Errorf("from %s: %d SMS sent although refused", c.remote, sent)
		} else if c.want == http.StatusOK && sent != 1 {
			t.Errorf("from %s: %d notifications sent, want 1", c.remote, sent)
		}
	}
}

// TestSelfTestOverLAN runs the endpoint on a real listener: the CLI's own
// connection through loopback is let through.
func TestSelfTestOverLAN(t *testing.T) {
	reg, err := phones.Open("", []phones.Phone{benPhone})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(SelfTestHandler(nil, reg, time.Minute))
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/selftest?phone=Ben", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// Delivery is off here: 503 shows the request got past the host check.
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("from loopback: HTTP %d, want 503 (past the check)", resp.StatusCode)
	}
}

// SelfTestPhones: reachable when a named phone fetched; an unknown name
// is said, not fatal.
func TestSelfTestPhones(t *testing.T) {
	fp := &fetchingPusher{}
	d, reg := benDeliverer(t, fp)
	fp.d = d
	ok, text := d.SelfTestPhones(t.Context(), reg, []string{"Nobody", "ben"}, time.Minute)
	if !ok || !strings.Contains(text, "Nobody: no such paired phone") || !strings.Contains(text, "ben fetched the test message") {
		t.Errorf("SelfTestPhones = %v, %q", ok, text)
	}
}
