package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/deliver"
	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/outbox"
	"github.com/homemmsc/homemmsc/internal/phones"
	"github.com/homemmsc/homemmsc/internal/store"
)

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
	box, err := outbox.Open(outbox.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { box.Close() })
	d, err := deliver.Open(deliver.Config{Dir: t.TempDir(), PublicURL: "http://mms.example.org", Store: st, Phones: reg, Pusher: p, Outbox: box})
	if err != nil {
		t.Fatal(err)
	}
	return d, reg
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
