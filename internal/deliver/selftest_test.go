package deliver

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/mms"
)

// waitPush waits for the fake pusher to have sent n things; the guard is
// against a hang, not a timing assertion.
func (e *env) waitPush(n int) []sent {
	e.t.Helper()
	guard := time.After(10 * time.Second)
	for {
		if s := e.pusher.all(); len(s) >= n {
			return s
		}
		select {
		case <-guard:
			e.t.Fatalf("the pusher never sent %d things", n)
		case <-time.After(time.Millisecond):
		}
	}
}

// The phone fetches the test notification's URL: the result says so,
// with where from and which client, and what it reported.
func TestSelfTestFetched(t *testing.T) {
	e := newEnv(t)
	ben, _ := e.phones.ByNumber(numB)
	type out struct {
		res Result
		err error
	}
	done := make(chan out, 1)
	go func() {
		r, err := e.d.SelfTest(context.Background(), ben, time.Minute)
		done <- out{r, err}
	}()
	s := e.waitPush(1)[0]
	n, err := mms.Decode(s.pdu)
	if err != nil || s.to != numB || n.Type != mms.TypeNotificationInd {
		t.Fatalf("self-test push to %s: %v %v", s.to, err, n)
	}
	conf := e.retrieve(n.ContentLocation)
	if conf.RetrieveStatus != 0 || len(conf.Parts) != 1 || !strings.Contains(string(conf.Parts[0].Data), "reachability test") {
		t.Errorf("test message: status 0x%02X parts %d", conf.RetrieveStatus, len(conf.Parts))
	}
	if err := e.report(numB, mms.TypeNotifyRespInd, n.TransactionID, mms.DeliveryRetrieved); err != nil {
		t.Fatal(err)
	}
	o := <-done
	if o.err != nil {
		t.Fatal(o.err)
	}
	r := o.res
	if !r.Fetched || r.Reported != "retrieved" || r.UserAgent != "TestPhone/1.0" || r.Remote != "198.51.100.7:4242" || r.Phone != "Ben" {
		t.Errorf("result %+v", r)
	}
	if !strings.Contains(r.String(), "OK: the phone reaches this MMSC") {
		t.Errorf("result text:\n%s", r)
	}
	// The test's key is dead once the test is over.
	checkNotFound(t, e.retrieve(n.ContentLocation))
}

// A phone that never fetches: Fetched is false and the text says what
// to check.
func TestSelfTestNotFetched(t *testing.T) {
	e := newEnv(t)
	ben, _ := e.phones.ByNumber(numB)
	r, err := e.d.SelfTest(context.Background(), ben, 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if r.Fetched || !strings.Contains(r.String(), "NOT fetched") {
		t.Errorf("result %+v:\n%s", r, r)
	}
	if len(e.pusher.all()) != 1 {
		t.Errorf("%d sends, want the one notification", len(e.pusher.all()))
	}
}

// A modem error is an error, not a result.
func TestSelfTestSendError(t *testing.T) {
	e := newEnv(t)
	e.pusher.fail = []error{errPermanent}
	ben, _ := e.phones.ByNumber(numB)
	if _, err := e.d.SelfTest(context.Background(), ben, time.Minute); err == nil {
		t.Errorf("no error when the notification could not be sent")
	}
}

// The browser page's parts: images inline with their type, anything else
// as an attachment, never sniffed.
func TestViewParts(t *testing.T) {
	e := newEnv(t)
	if err := e.phones.SetFallback(tokB, true); err != nil {
		t.Fatal(err)
	}
	e.put(sendReq(func(m *mms.Message) {
		m.Parts = append(m.Parts, mms.Part{ContentType: mms.ContentType{MediaType: "text/html"},
			ContentLocation: `evil".html`, Data: []byte("<script>alert(1)</script>")})
	}))
	e.drain()
	var link string
	for _, s := range e.pusher.all() {
		if s.text != "" {
			link = s.text[strings.Index(s.text, "/v/"):]
		}
	}
	img := e.get(link + "/2")
	if img.Code != http.StatusOK || img.Header().Get("Content-Type") != "image/jpeg" || img.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("image part: HTTP %d %q", img.Code, img.Header().Get("Content-Type"))
	}
	html := e.get(link + "/3")
	if html.Header().Get("Content-Type") != "application/octet-stream" ||
		html.Header().Get("Content-Disposition") != `attachment; filename="evil.html"` {
		t.Errorf("HTML part served as %q, %q", html.Header().Get("Content-Type"), html.Header().Get("Content-Disposition"))
	}
	if w := e.get(link + "/9"); w.Code != http.StatusNotFound {
		t.Errorf("part 9 of 4: HTTP %d", w.Code)
	}
	page := e.get(link).Body.String()
	if strings.Contains(page, "<script>") {
		t.Errorf("the page carries a script:\n%s", page)
	}
}

// Run itself: a stored message handed over with Stored is notified, its
// states reach the metadata through the publisher, and Run returns when
// its context ends.
func TestRun(t *testing.T) {
	e := newEnv(t)
	pdu, _ := sendReq(nil).Encode()
	msg, _ := mms.Decode(pdu)
	meta, err := e.st.Put(storeIncoming(pdu, msg))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	boxDone := make(chan struct{})
	go func() { e.d.Run(ctx); close(done) }()
	go func() { e.box.Run(ctx); close(boxDone) }()
	e.d.Stored(meta.ID)
	if s := e.waitPush(1)[0]; s.to != numB {
		t.Errorf("push to %s", s.to)
	}
	guard := time.After(10 * time.Second)
	for {
		m, _ := e.st.Get(meta.ID)
		if len(m.Delivery) == 2 && m.Delivery[0].State == string(Notified) {
			break
		}
		select {
		case <-guard:
			t.Fatalf("metadata never showed B notified: %+v", m.Delivery)
		case <-time.After(time.Millisecond):
		}
	}
	cancel()
	<-done
	<-boxDone
}
