package main

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

	"github.com/homemmsc/homemmsc/internal/deliver"
	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/phones"
	"github.com/homemmsc/homemmsc/internal/store"
)

func TestDeliverFlags(t *testing.T) {
	var o deliverOptions
	for _, tt := range []struct {
		in   string
		want time.Duration
	}{{"7d", 7 * 24 * time.Hour}, {"36h", 36 * time.Hour}, {"1d12h", 36 * time.Hour}} {
		if err := (daysValue{&o.expiry}).Set(tt.in); err != nil || o.expiry != tt.want {
			t.Errorf("-expiry %s = %v, %v; want %v", tt.in, o.expiry, err, tt.want)
		}
	}
	for _, bad := range []string{"", "7", "d", "-1d", "30m", "400d", "1x"} {
		if err := (daysValue{&o.expiry}).Set(bad); err == nil {
			t.Errorf("-expiry %q accepted", bad)
		}
	}
	v := durationsValue{&o.renotify}
	if err := v.Set("10m,1h,6h,1d"); err != nil || v.String() != "10m,1h,6h,1d" {
		t.Errorf("-renotify: %q, %v", v.String(), err)
	}
	for _, bad := range []string{"", "10s", "10m,,1h"} {
		if err := v.Set(bad); err == nil {
			t.Errorf("-renotify %q accepted", bad)
		}
	}
	u := publicURLValue{&o.publicURL}
	if err := u.Set("http://mms.example.org:8080/"); err != nil || o.publicURL != "http://mms.example.org:8080" {
		t.Errorf("-public-url: %q, %v", o.publicURL, err)
	}
	for _, bad := range []string{"mms.example.org", "ftp://x", "http://", "http://x/?a=b", "http://u:p@x"} {
		if err := u.Set(bad); err == nil {
			t.Errorf("-public-url %q accepted", bad)
		}
	}
}

func TestSelfTestNeedsLAN(t *testing.T) {
	o, err := parseOptions([]string{"-self-test", "Ben"}, func(string) string { return "" }, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out testWriter
	if code := runSelfTest(t.Context(), o.deliverOpts, &out); code != 2 {
		t.Errorf("-self-test without -lan: exit %d, want 2; %s", code, out)
	}
}

type testWriter []byte

func (w *testWriter) Write(p []byte) (int, error) { *w = append(*w, p...); return len(p), nil }

// fetchingPusher plays a phone that fetches every notification at once
// and reports it retrieved.
type fetchingPusher struct{ d *deliver.Deliverer }

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

// ben is the one paired phone of the self-test tests.
var ben = phones.Phone{Name: "Ben", Number: "+15552220002", Token: "tokenBen-0123456789abcdefg"}

// benDeliverer opens a store, a registry of ben alone and a Deliverer
// sending through p.
func benDeliverer(t *testing.T, p deliver.Pusher) (*deliver.Deliverer, *phones.Registry) {
	t.Helper()
	st, err := store.Open(store.Config{Dir: t.TempDir(), MinFree: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	reg, err := phones.Open("", []phones.Phone{ben})
	if err != nil {
		t.Fatal(err)
	}
	d, err := deliver.Open(deliver.Config{Dir: t.TempDir(), PublicURL: "http://mms.example.org", Store: st, Phones: reg, Pusher: p})
	if err != nil {
		t.Fatal(err)
	}
	return d, reg
}

func TestSelfTestHandler(t *testing.T) {
	fp := &fetchingPusher{}
	d, reg := benDeliverer(t, fp)
	fp.d = d
	h := selfTestHandler(d, reg, time.Minute)
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
	selfTestHandler(nil, reg, time.Minute).ServeHTTP(w, r)
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
	h := selfTestHandler(d, reg, time.Millisecond)
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
	reg, err := phones.Open("", []phones.Phone{ben})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(selfTestHandler(nil, reg, time.Minute))
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

func TestDeliveryOffReason(t *testing.T) {
	if s := deliveryOff(deliverOptions{}, modemRun{}, nil); !strings.Contains(s, "-public-url") {
		t.Errorf("no -public-url: %q", s)
	}
	if s := deliveryOff(deliverOptions{publicURL: "http://x.example"}, modemRun{}, nil); !strings.Contains(s, "-modem") {
		t.Errorf("no modem: %q", s)
	}
	if inboxSelfTest(nil, time.Minute) != nil {
		t.Error("a self-test func while delivery is off")
	}
}

// TestInboxSelfTest: the inbox's test button runs deliver's self-test and
// gets its result field by field.
func TestInboxSelfTest(t *testing.T) {
	fp := &fetchingPusher{}
	d, _ := benDeliverer(t, fp)
	fp.d = d
	res, err := inboxSelfTest(d, time.Minute)(t.Context(), ben)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Fetched || res.UserAgent != "Fetcher/2.0" || res.Reported != "retrieved" || res.After < 0 {
		t.Errorf("result %+v", res)
	}
}
