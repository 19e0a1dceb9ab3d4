package mmsc

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/phones"
)

type reported struct {
	from string
	msg  *mms.Message
}

// A phone's M-NotifyResp.ind and M-Acknowledge.ind go to Config.Report
// with the posting phone's number, are answered an empty 200 whatever Report says,
// and store nothing.
func TestReportRouted(t *testing.T) {
	fs := &fakeStore{}
	var got []reported
	fail := false
	h := NewHandler(Config{Store: fs, Phones: testPhones, Report: func(from string, m *mms.Message) error {
		got = append(got, reported{from, m})
		if fail {
			return errors.New("unknown transaction")
		}
		return nil
	}})
	for _, c := range []struct {
		typ    mms.MessageType
		status byte
	}{{mms.TypeNotifyRespInd, mms.DeliveryRetrieved}, {mms.TypeAcknowledgeInd, 0}} {
		pdu, err := (&mms.Message{Type: c.typ, TransactionID: "h123", Version: mms.Version12, Status: c.status}).Encode()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []bool{false, true} {
			fail = f
			w := post(h, "/mms/"+tokB, pdu)
			if !emptyOK(w) {
				t.Errorf("%v (report error %v): HTTP %d body %q", c.typ, f, w.Code, w.Body)
			}
		}
	}
	if len(got) != 4 || got[0].from != "+15557654321" || got[0].msg.TransactionID != "h123" ||
		got[0].msg.Status != mms.DeliveryRetrieved || got[2].msg.Type != mms.TypeAcknowledgeInd {
		t.Errorf("reports %+v", got)
	}
	fs.none(t)
	if v, ok := testPhones.LastVisit(tokB); !ok || v.What != "acknowledge" {
		t.Errorf("Ben's last visit %+v", v)
	}
	// An unknown token is refused before Report hears of it.
	pdu, _ := (&mms.Message{Type: mms.TypeNotifyRespInd, TransactionID: "h1", Version: mms.Version12, Status: mms.DeliveryRejected}).Encode()
	if c := confOf(t, post(h, "/mms/not-a-token-0123456789", pdu)); c.ResponseStatus != mms.StatusErrServiceDenied || len(got) != 4 {
		t.Errorf("unknown token: status %#x, %d reports", c.ResponseStatus, len(got))
	}
}

// Without Report, a phone's report is refused like any other PDU that is
// not an M-Send.req.
func TestReportWithoutDelivery(t *testing.T) {
	h := NewHandler(Config{Store: &fakeStore{}, Phones: testPhones})
	pdu, _ := (&mms.Message{Type: mms.TypeNotifyRespInd, TransactionID: "h1", Version: mms.Version12, Status: mms.DeliveryRetrieved}).Encode()
	w := post(h, "/mms/"+tokB, pdu)
	if c := confOf(t, w); c.ResponseStatus != mms.StatusErrUnsupportedMessage {
		t.Errorf("status 0x%02X, want unsupported", c.ResponseStatus)
	}
}

// /m/ and /v/ go to Config.Retrieve, whatever the method; without it they
// are 404.
func TestRetrieveRouted(t *testing.T) {
	var paths []string
	h := NewHandler(Config{Retrieve: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.Method+" "+r.URL.Path)
		w.WriteHeader(http.StatusTeapot)
	})})
	for _, p := range []string{"/m/abc", "/v/abc/1"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, p, nil))
		if w.Code != http.StatusTeapot {
			t.Errorf("GET %s: HTTP %d", p, w.Code)
		}
	}
	if len(paths) != 2 || paths[0] != "GET /m/abc" {
		t.Errorf("Retrieve saw %q", paths)
	}
	w := httptest.NewRecorder()
	NewHandler(Config{}).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/m/abc", nil))
	if w.Code != http.StatusNotFound {
		t.Errorf("without Retrieve: HTTP %d", w.Code)
	}
}

// A read report (M-Read-Rec.ind) is answered an empty 200 and logged, with or
// without delivery, and never reaches Config.Report or the store.
func TestReadReportAnswered(t *testing.T) {
	pdu, err := (&mms.Message{Type: mms.TypeReadRecInd, Version: mms.Version12, MessageID: "m-1",
		From: mms.Address{Insert: true}, ReadStatus: mms.ReadStatusRead}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	for _, withReport := range []bool{false, true} {
		fs := &fakeStore{}
		cfg := Config{Store: fs, Phones: testPhones}
		reported := 0
		if withReport {
			cfg.Report = func(string, *mms.Message) error { reported++; return nil }
		}
		w := post(NewHandler(cfg), "/mms/"+tokB, pdu)
		if !emptyOK(w) || reported != 0 {
			t.Errorf("with Report %v: HTTP %d body %q, %d reports", withReport, w.Code, w.Body, reported)
		}
		fs.none(t)
		if v, ok := testPhones.LastVisit(tokB); !ok || v.What != "readrec" {
			t.Errorf("Ben's last visit %+v", v)
		}
	}
}

// emptyOK reports whether a reply is what every client accepts for a
// report: exactly 200 (mmsd-tng refuses 204) with no body.
func emptyOK(w *httptest.ResponseRecorder) bool {
	return w.Code == http.StatusOK && w.Body.Len() == 0 && w.Header().Get("Content-Length") == "0"
}

// With Config.Prefix, every route is served under the public URL's path
// and at the root; a path that only starts with the prefix is not ours.
func TestPrefix(t *testing.T) {
	fs := &fakeStore{}
	var retrieved []string
	h := NewHandler(Config{Store: fs, Phones: testPhones, Prefix: "/mmsc",
		Retrieve: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { retrieved = append(retrieved, r.URL.Path) })})
	for _, path := range []string{"/mmsc/mms/" + tokA, "/mms/" + tokA} {
		if c := confOf(t, post(h, path, sendReq(t, mms.Version12, nil))); c.ResponseStatus != mms.StatusOk {
			t.Errorf("POST %s: status %#x, want Ok", path, c.ResponseStatus)
		}
	}
	for _, path := range []string{"/mmsc/m/abc", "/m/abc", "/mmsc/v/abc/1"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil))
	}
	if len(retrieved) != 3 || retrieved[0] != "/m/abc" || retrieved[1] != "/m/abc" || retrieved[2] != "/v/abc/1" {
		t.Errorf("Retrieve saw %q", retrieved)
	}
	for path, code := range map[string]int{"/mmsc": http.StatusOK, "/mmsc/": http.StatusOK, "/mmscx/m/abc": http.StatusNotFound} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		if w.Code != code {
			t.Errorf("GET %s: HTTP %d, want %d", path, w.Code, code)
		}
	}
}

func TestPathPrefix(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "http://h:8080": "", "http://h:8080/": "", "http://h/mmsc": "/mmsc", "http://h/mmsc/": "/mmsc",
		"https://h/a/b": "/a/b", "http://h/mmsbox": "/mmsbox", "http://h/view": "/view",
	} {
		if got, err := PathPrefix(in); err != nil || got != want {
			t.Errorf("PathPrefix(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"http://h/mms", "http://h/mms/", "http://h/mms/x", "http://h/mms.php", "http://h/m",
		"http://h/v/x", "http://h/a%2Fb", "http://h/a/../mms", "http://h//a", "http://h/a;b"} {
		if got, err := PathPrefix(in); err == nil {
			t.Errorf("PathPrefix(%q) = %q, want an error", in, got)
		}
	}
}

// GET / says where phones post as things are: the token URL always, the
// open endpoint only while it takes posts (make run pairs no phone).
func TestAbout(t *testing.T) {
	reg, err := phones.Open("", nil)
	if err != nil {
		t.Fatal(err)
	}
	get := func(h http.Handler, path string) string {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		return textOf(t, w, http.StatusOK)
	}
	h := NewHandler(Config{Phones: reg, OpenUnpaired: true, Prefix: "/mmsc"})
	if s := get(h, "/"); !strings.Contains(s, "/mmsc/mms/<token>") || !strings.Contains(s, "/mmsc/mms?n=") {
		t.Errorf("unpaired: %q", s)
	}
	if _, err := reg.Add("Anna", "+15551234567"); err != nil {
		t.Fatal(err)
	}
	if s := get(h, "/mmsc"); !strings.Contains(s, "/mms/<token>") || strings.Contains(s, "?n=") {
		t.Errorf("paired: %q", s)
	}
}
