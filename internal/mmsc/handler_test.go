package mmsc

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/phones"
	"github.com/homemmsc/homemmsc/internal/store"
)

func TestTokenEndpointStores(t *testing.T) {
	fs := &fakeStore{id: "20261126-000001"}
	h := NewHandler(Config{Store: fs, Phones: testPhones})
	body := sendReq(t, mms.Version12, nil)
	rec := post(h, "/mms/"+tokA, body,
		"User-Agent", "Android-Mms/2.0", "X-Wap-Profile", `"http://example.com/uaprof.xml"`,
		"X-MDN", "15559990000", "X-Up-Calling-Line-Id", "15559990001", "X-Wap-Network-Client-MSISDN", "15559990002")
	c := confOf(t, rec)
	if c.ResponseStatus != mms.StatusOk || c.MessageID != "20261126-000001" ||
		c.TransactionID != "T-0001" || c.Version != mms.Version12 {
		t.Fatalf("conf = status %#x id %q tid %q version %#x", c.ResponseStatus, c.MessageID, c.TransactionID, c.Version)
	}
	in := fs.only(t)
	if !bytes.Equal(in.PDU, body) {
		t.Error("stored PDU differs from the posted body")
	}
	if in.Msg == nil || in.Msg.TransactionID != "T-0001" {
		t.Errorf("stored Msg = %+v, want the decoded M-Send.req", in.Msg)
	}
	if want := (store.Sender{Number: "+15551234567", Name: "Anna", Source: "token"}); in.Sender != want {
		t.Errorf("sender = %+v, want %+v", in.Sender, want)
	}
	for k, v := range map[string]string{
		"user-agent": "Android-Mms/2.0", "x-wap-profile": `"http://example.com/uaprof.xml"`,
		"x-mdn": "15559990000", "x-up-calling-line-id": "15559990001",
		"x-wap-network-client-msisdn": "15559990002", "pdu-from": "insert-address-token",
	} {
		if in.Hints[k] != v {
			t.Errorf("hint %s = %q, want %q", k, in.Hints[k], v)
		}
	}
	if in.RemoteAddr == "" {
		t.Error("remote address not recorded")
	}
}

func TestTokenBeatsFromAndQuery(t *testing.T) {
	fs := &fakeStore{}
	h := NewHandler(Config{Store: fs, Phones: testPhones, Open: true})
	body := sendReq(t, mms.Version12, func(m *mms.Message) {
		m.From = mms.Address{Value: mms.EncodedString{Raw: []byte("+15550000000/TYPE=PLMN")}}
	})
	confOf(t, post(h, "/mms/"+tokB+"?n=+15551111111", body))
	in := fs.only(t)
	if in.Sender.Number != "+15557654321" || in.Sender.Source != SourceToken {
		t.Fatalf("sender = %+v, want Ben by token", in.Sender)
	}
	if in.Hints["pdu-from"] != "+15550000000/TYPE=PLMN" {
		t.Errorf("pdu-from hint = %q", in.Hints["pdu-from"])
	}
}

func TestReplyVersionFollowsRequest(t *testing.T) {
	for req, want := range map[mms.Version]mms.Version{
		mms.Version10: mms.Version10, mms.Version11: mms.Version10,
		mms.Version12: mms.Version12, mms.Version13: mms.Version12,
	} {
		h := NewHandler(Config{Store: &fakeStore{}, Phones: testPhones})
		c := confOf(t, post(h, "/mms/"+tokA, sendReq(t, req, nil)))
		if c.Version != want || c.ResponseStatus != mms.StatusOk {
			t.Errorf("request %#x: reply version %#x status %#x, want %#x Ok", req, c.Version, c.ResponseStatus, want)
		}
	}
}

func TestUnknownTokenRefused(t *testing.T) {
	fs := &fakeStore{}
	log := &logRecorder{}
	h := NewHandler(Config{Store: fs, Phones: testPhones, Open: true, Logger: slog.New(log)})
	for _, path := range []string{
		"/mms/" + tokA[:len(tokA)-1] + "X", "/mms/", "/mms/" + tokA + "/x", "/mms/..%2F..%2Fetc", "/mms/" + strings.Repeat("A", 4000),
	} {
		c := confOf(t, post(h, path, sendReq(t, mms.Version12, nil)))
		if c.ResponseStatus != mms.StatusErrServiceDenied || c.TransactionID != "T-0001" || !strings.Contains(c.ResponseText.String(), "token") {
			t.Errorf("%s: status %#x tid %q text %q, want service-denied saying the token is unknown",
				path, c.ResponseStatus, c.TransactionID, c.ResponseText.String())
		}
	}
	fs.none(t)
	lines := log.attrs("mms")
	if len(lines) != 5 {
		t.Errorf("%d log lines, want 5", len(lines))
	}
	for _, a := range lines {
		if strings.Contains(a["err"].String(), tokA[:8]) {
			t.Errorf("token logged: %v", a["err"])
		}
	}
}

func TestOpenEndpoint(t *testing.T) {
	from := func(a string) func(*mms.Message) {
		return func(m *mms.Message) { m.From = mms.Address{Value: mms.EncodedString{Raw: []byte(a)}} }
	}
	fromPLMN := from("+15552223333/TYPE=PLMN")
	tests := []struct {
		name, path string
		edit       func(*mms.Message)
		want       store.Sender
	}{
		{"From wins over ?n=", "/mms?n=+15551111111", fromPLMN, store.Sender{Number: "+15552223333", Source: "from"}},
		// A claimed number gets no name, even when a paired phone has it.
		{"From names a paired phone", "/mms", from("+15557654321/type=plmn"), store.Sender{Number: "+15557654321", Source: "from"}},
		{"e-mail From", "/mms", from("anna@example.org"), store.Sender{Number: "anna@example.org", Source: "from"}},
		{"IPv4 From", "/mms", from("192.0.2.7/TYPE=IPv4"), store.Sender{Number: "192.0.2.7", Source: "from"}},
		{"IPv6 From", "/mms", from("2001:DB8::1/TYPE=IPv6"), store.Sender{Number: "2001:db8::1", Source: "from"}},
		// A From that is not an address (OMA-MMS-ENC §8) is never the sender.
		{"HTML From", "/mms?n=+15551111111", from("<b>+1555</b><script>alert(1)</script>"), store.Sender{Number: "+15551111111", Source: "query"}},
		{"named e-mail From", "/mms?n=+15551111111", from("Anna <anna@example.org>"), store.Sender{Number: "+15551111111", Source: "query"}},
		{"bad IPv4 From", "/mms?n=+15551111111", from("999.0.2.7/TYPE=IPv4"), store.Sender{Number: "+15551111111", Source: "query"}},
		{"IPv6 as IPv4 From", "/mms?n=+15551111111", from("::1/TYPE=IPv4"), store.Sender{Number: "+15551111111", Source: "query"}},
		{"letters in a PLMN From", "/mms?n=+15551111111", from("anna/TYPE=PLMN"), store.Sender{Number: "+15551111111", Source: "query"}},
		{"free-text From", "/mms?n=+15551111111", from("Anna's phone"), store.Sender{Number: "+15551111111", Source: "query"}},
		{"?n= after insert token", "/mms?n=+15551111111", nil, store.Sender{Number: "+15551111111", Source: "query"}},
		{"seed path", "/mms.php?n=0612345678", nil, store.Sender{Number: "0612345678", Source: "query"}},
		{"escaped plus", "/mms?n=%2B15551111111&x=1", nil, store.Sender{Number: "+15551111111", Source: "query"}},
	}
	for _, tt := range tests {
		fs := &fakeStore{}
		h := NewHandler(Config{Store: fs, Phones: testPhones, Open: true})
		c := confOf(t, post(h, tt.path, sendReq(t, mms.Version12, tt.edit)))
		if c.ResponseStatus != mms.StatusOk {
			t.Errorf("%s: status %#x, want Ok", tt.name, c.ResponseStatus)
			continue
		}
		if got := fs.only(t).Sender; got != tt.want {
			t.Errorf("%s: sender %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestOpenEndpointOff(t *testing.T) {
	fs := &fakeStore{}
	h := NewHandler(Config{Store: fs, Phones: testPhones})
	for _, path := range []string{"/mms", "/mms?n=+15551234567", "/mms.php?n=+15551234567"} {
		if c := confOf(t, post(h, path, sendReq(t, mms.Version12, nil))); c.ResponseStatus != mms.StatusErrServiceDenied {
			t.Errorf("%s: status %#x, want service-denied", path, c.ResponseStatus)
		}
	}
	fs.none(t)
}

func TestBadQueryNumberRefused(t *testing.T) {
	fs := &fakeStore{}
	h := NewHandler(Config{Store: fs, Open: true})
	for _, n := range []string{"../x", "..%2Fx", "%2Fetc%2Fpasswd", "12", "+1555%0A", "", "1;rm", "+15551234567&n=../x",
		"+15551234567&n=+15551234567", "%", "%zz", "%2015551234567", "15551234567%00"} {
		for _, path := range []string{"/mms?n=" + n, "/mms.php?n=" + n} {
			if c := confOf(t, post(h, path, sendReq(t, mms.Version12, nil))); c.ResponseStatus != mms.StatusErrSendingAddressUnresolved {
				t.Errorf("%s: status %#x, want sending-address-unresolved", path, c.ResponseStatus)
			}
		}
	}
	fs.none(t)
}

func TestNoSender(t *testing.T) {
	for _, v := range []mms.Version{mms.Version10, mms.Version12} {
		fs := &fakeStore{}
		h := NewHandler(Config{Store: fs, Open: true})
		// MSISDN headers are hints, never identity.
		c := confOf(t, post(h, "/mms", sendReq(t, v, nil), "X-MDN", "+15551234567"))
		if want := status(outNoSender); c.ResponseStatus != want {
			t.Errorf("version %#x: status %#x, want %#x", v, c.ResponseStatus, want)
		}
		fs.none(t)
	}
}

func TestAnonymous(t *testing.T) {
	fs := &fakeStore{}
	h := NewHandler(Config{Store: fs, Open: true, Anonymous: true})
	c := confOf(t, post(h, "/mms", sendReq(t, mms.Version12, nil)))
	if c.ResponseStatus != mms.StatusOk {
		t.Fatalf("status %#x, want Ok", c.ResponseStatus)
	}
	if s := fs.only(t).Sender; s != (store.Sender{Source: "none"}) {
		t.Fatalf("sender %+v, want Source none", s)
	}
}

func TestMalformed(t *testing.T) {
	full := sendReq(t, mms.Version12, nil)
	tests := []struct {
		name    string
		body    []byte
		tid     string
		version mms.Version
	}{
		{"empty body", nil, fallbackTID, mms.Version10},
		{"4-byte PDU", []byte{0x8C, 0x80, 0x98, 0x41}, fallbackTID, mms.Version10},
		{"truncated in the body", full[:len(full)-5], "T-0001", mms.Version12},
		{"truncated in the headers", full[:12], "T-0001", mms.Version12},
		{"HTML", []byte("<html><body>hi</body></html>"), fallbackTID, mms.Version10},
		{"garbage", bytes.Repeat([]byte{0xFF}, 100), fallbackTID, mms.Version10},
		{"no MMS-Version", []byte("\x8C\x80\x98T-0001\x00\x84\x83hi"), "T-0001", mms.Version10},
		{"no Content-Type", []byte("\x8C\x80\x98T-0001\x00\x8D\x92\x96Hi\x00"), "T-0001", mms.Version12},
	}
	for _, tt := range tests {
		fs := &fakeStore{}
		h := NewHandler(Config{Store: fs, Phones: testPhones})
		c := confOf(t, post(h, "/mms/"+tokA, tt.body))
		want := status(outCorrupt)
		if c.ResponseStatus != want || c.TransactionID != tt.tid || c.Version != tt.version {
			t.Errorf("%s: status %#x tid %q version %#x, want %#x %q %#x",
				tt.name, c.ResponseStatus, c.TransactionID, c.Version, want, tt.tid, tt.version)
		}
		fs.none(t)
	}
}

func TestNotASendReq(t *testing.T) {
	for _, typ := range []mms.MessageType{mms.TypeRetrieveConf, mms.TypeSendConf, mms.TypeNotifyRespInd, mms.TypeAcknowledgeInd} {
		fs := &fakeStore{}
		h := NewHandler(Config{Store: fs, Phones: testPhones})
		body := sendReq(t, mms.Version12, func(m *mms.Message) { m.Type = typ; m.From = mms.Address{} })
		c := confOf(t, post(h, "/mms/"+tokA, body))
		if c.ResponseStatus != mms.StatusErrUnsupportedMessage || c.TransactionID != "T-0001" {
			t.Errorf("type %#x: status %#x tid %q, want 0x88 T-0001", typ, c.ResponseStatus, c.TransactionID)
		}
		fs.none(t)
	}
}

func TestMajorVersion2Unsupported(t *testing.T) {
	fs := &fakeStore{}
	h := NewHandler(Config{Store: fs, Phones: testPhones})
	c := confOf(t, post(h, "/mms/"+tokA, sendReq(t, 0x20, nil)))
	if c.ResponseStatus != mms.StatusErrUnsupportedMessage {
		t.Fatalf("status %#x, want unsupported-message", c.ResponseStatus)
	}
	fs.none(t)
}

func TestTooLarge(t *testing.T) {
	// A valid start (the transaction id is readable), then 10 MiB.
	pdu := append(sendReq(t, mms.Version12, nil), make([]byte, 10<<20)...)
	for _, chunked := range []bool{false, true} {
		fs := &fakeStore{}
		h := NewHandler(Config{Store: fs, Phones: testPhones})
		body := &countingReader{r: bytes.NewReader(pdu)}
		req := httptest.NewRequest(http.MethodPost, "/mms/"+tokA, body)
		req.Header.Set("Content-Type", ContentType)
		if chunked {
			req.ContentLength = -1
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		c := confOf(t, rec)
		if c.ResponseStatus != mms.StatusErrContentNotAccepted || c.TransactionID != "T-0001" {
			t.Errorf("chunked=%v: status %#x tid %q, want 0x87 T-0001", chunked, c.ResponseStatus, c.TransactionID)
		}
		if body.n > DefaultMaxSize+64<<10 {
			t.Errorf("chunked=%v: read %d bytes of a 10 MiB body, want the reading to stop at the cap", chunked, body.n)
		}
		fs.none(t)
	}
}

func TestMaxSize(t *testing.T) {
	tests := []struct {
		cfg, body int64
		ok        bool
	}{
		{0, DefaultMaxSize - 1000, true},
		{0, DefaultMaxSize + 1000, false},
		{300 << 10, 290 << 10, true},
		{300 << 10, 310 << 10, false},
		{50 << 20, MaxMaxSize - 1000, true},
		{50 << 20, MaxMaxSize + 1000, false},
	}
	for _, tt := range tests {
		fs := &fakeStore{}
		h := NewHandler(Config{Store: fs, Phones: testPhones, MaxSize: tt.cfg})
		pdu := sendReq(t, mms.Version12, func(m *mms.Message) { m.Parts[0].Data = make([]byte, tt.body-200) })
		c := confOf(t, post(h, "/mms/"+tokA, pdu))
		if got := c.ResponseStatus == mms.StatusOk; got != tt.ok {
			t.Errorf("MaxSize %d, body %d: status %#x, want ok=%v", tt.cfg, len(pdu), c.ResponseStatus, tt.ok)
		}
	}
}

func TestTooManyParts(t *testing.T) {
	// An M-Send.req whose multipart says 100,000 entries, and has them.
	var b bytes.Buffer
	b.Write([]byte{0x8C, 0x80, 0x98, 'T', '1', 0x00, 0x8D, 0x92, 0x89, 0x01, 0x81, 0x97})
	b.WriteString("+15550001111/TYPE=PLMN\x00")
	b.Write([]byte{0x84, 0xA3})       // Content-Type: application/vnd.wap.multipart.mixed
	b.Write([]byte{0x86, 0x8D, 0x20}) // uintvar 100000 entries
	for i := 0; i < 100000; i++ {
		b.Write([]byte{0x01, 0x00, 0x83}) // headers 1 octet, no data, text/plain
	}
	fs := &fakeStore{}
	h := NewHandler(Config{Store: fs, Phones: testPhones})
	c := confOf(t, post(h, "/mms/"+tokA, b.Bytes()))
	if c.ResponseStatus != mms.StatusErrContentNotAccepted && c.ResponseStatus != mms.StatusErrMessageFormatCorrupt {
		t.Fatalf("status %#x, want content-not-accepted (or format-corrupt)", c.ResponseStatus)
	}
	fs.none(t)
}

// A store that cannot take the message gets HTTP 503 with Retry-After,
// whatever the phone's MMS version: AOSP retries it by itself, mmsd-tng
// and mms-engine report it (doc.go).
func TestStoreFailures(t *testing.T) {
	tests := []struct {
		name string
		fs   Store
		v    mms.Version
	}{
		{"full, 1.2", &fakeStore{err: fmt.Errorf("put: %w", store.ErrFull)}, mms.Version12},
		{"full, 1.0", &fakeStore{err: store.ErrFull}, mms.Version10},
		{"I/O error", &fakeStore{err: errors.New("store: fsync: input/output error")}, mms.Version12},
		{"empty id", &fakeStore{noID: true}, mms.Version12},
		{"no store", nil, mms.Version12},
	}
	for _, tt := range tests {
		h := NewHandler(Config{Store: tt.fs, Phones: testPhones})
		w := post(h, "/mms/"+tokA, sendReq(t, tt.v, nil))
		textOf(t, w, http.StatusServiceUnavailable)
		if ra := w.Header().Get("Retry-After"); ra != retryAfter {
			t.Errorf("%s: Retry-After %q, want %s", tt.name, ra, retryAfter)
		}
	}
}

func TestContentType(t *testing.T) {
	for ct, ok := range map[string]bool{
		ContentType:                         true,
		ContentType + "; charset=utf-8":     true,
		"Application/VND.WAP.MMS-Message":   true,
		"application/vnd.wap.mms-message ;": true,
		ContentType + "; charset":           true, // broken parameter, right type
		"application/vnd.wap.mms-messages":  false,
		"text/plain":                        false,
		"":                                  false,
		"multipart/form-data; boundary=x":   false,
	} {
		fs := &fakeStore{}
		h := NewHandler(Config{Store: fs, Phones: testPhones})
		rec := post(h, "/mms/"+tokA, sendReq(t, mms.Version12, nil), "Content-Type", ct)
		if ok {
			if c := confOf(t, rec); c.ResponseStatus != mms.StatusOk {
				t.Errorf("%q: status %#x, want Ok", ct, c.ResponseStatus)
			}
			continue
		}
		textOf(t, rec, http.StatusUnsupportedMediaType)
		fs.none(t)
	}
}

func TestOtherMethodsAndPaths(t *testing.T) {
	fs := &fakeStore{}
	h := NewHandler(Config{Store: fs, Phones: testPhones, Open: true})
	tests := []struct {
		method, path string
		code         int
	}{
		{"GET", "/", http.StatusOK},
		{"HEAD", "/", http.StatusOK},
		{"POST", "/", http.StatusNotFound},
		{"GET", "/mms", http.StatusMethodNotAllowed},
		{"GET", "/mms.php?n=+15551234567", http.StatusMethodNotAllowed},
		{"GET", "/mms/" + tokA, http.StatusMethodNotAllowed},
		{"PUT", "/mms/" + tokA, http.StatusMethodNotAllowed},
		{"DELETE", "/mms", http.StatusMethodNotAllowed},
		{"OPTIONS", "/mms", http.StatusMethodNotAllowed},
		{"GET", "/mms-data/", http.StatusNotFound},
		{"GET", "/../etc/passwd", http.StatusNotFound},
		{"GET", "/index.html", http.StatusNotFound},
		{"POST", "/mmsfoo", http.StatusNotFound},
	}
	for _, tt := range tests {
		req := httptest.NewRequest(tt.method, tt.path, nil)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if tt.method == "HEAD" {
			checkCommon(t, rec)
			if rec.Code != tt.code {
				t.Errorf("HEAD %s: %d, want %d", tt.path, rec.Code, tt.code)
			}
			continue
		}
		textOf(t, rec, tt.code)
		if tt.code == http.StatusMethodNotAllowed && rec.Header().Get("Allow") != "POST" {
			t.Errorf("%s %s: Allow %q, want POST", tt.method, tt.path, rec.Header().Get("Allow"))
		}
	}
	fs.none(t)
}

func TestOneLogLinePerMessage(t *testing.T) {
	log := &logRecorder{}
	now := time.Date(2026, 11, 26, 20, 0, 0, 0, time.UTC)
	clock := func() time.Time { now = now.Add(250 * time.Millisecond); return now }
	h := NewHandler(Config{Store: &fakeStore{id: "m1"}, Phones: testPhones, Logger: slog.New(log), Now: clock})
	body := sendReq(t, mms.Version12, nil)
	confOf(t, post(h, "/mms/"+tokA, body))
	confOf(t, post(h, "/mms/"+tokA, []byte{0x8C}))
	lines := log.attrs("mms")
	if len(lines) != 2 {
		t.Fatalf("%d log lines, want 2", len(lines))
	}
	ok := lines[0]
	if ok["id"].String() != "m1" || ok["sender"].String() != "+15551234567" || ok["size"].Int64() != int64(len(body)) ||
		ok["status"].String() != "ok" || ok["duration"].Duration() != 250*time.Millisecond {
		t.Errorf("log line = %v", ok)
	}
	if bad := lines[1]; bad["status"].String() != "message-format-corrupt" || bad["err"].Any() == nil {
		t.Errorf("log line = %v", bad)
	}
}

func TestBodyReadError(t *testing.T) {
	fs := &fakeStore{}
	h := NewHandler(Config{Store: fs, Phones: testPhones})
	pdu := sendReq(t, mms.Version12, nil)
	req := httptest.NewRequest(http.MethodPost, "/mms/"+tokA, io.LimitReader(bytes.NewReader(pdu), 10))
	req.ContentLength = int64(len(pdu)) // the phone promised more and hung up
	req.Header.Set("Content-Type", ContentType)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	textOf(t, rec, http.StatusBadRequest)
	fs.none(t)
}

func TestOpenUnpairedClosesOnFirstPairing(t *testing.T) {
	reg, err := phones.Open("", nil)
	if err != nil {
		t.Fatal(err)
	}
	fs := &fakeStore{}
	h := NewHandler(Config{Store: fs, Phones: reg, OpenUnpaired: true})
	confOf(t, post(h, "/mms?n=%2B15550001111", sendReq(t, mms.Version12, nil)))
	p, err := reg.Add("Anna", "+15551234567")
	if err != nil {
		t.Fatal(err)
	}
	if c := confOf(t, post(h, "/mms?n=%2B15550001111", sendReq(t, mms.Version12, nil))); c.ResponseStatus != mms.StatusErrServiceDenied {
		t.Errorf("open endpoint after pairing: status %#x, want service-denied", c.ResponseStatus)
	}
	confOf(t, post(h, "/mms/"+p.Token, sendReq(t, mms.Version12, nil)))
	if len(fs.puts) != 2 {
		t.Fatalf("%d messages stored, want 2", len(fs.puts))
	}
}

func TestTokenPostRecordsVisit(t *testing.T) {
	reg, err := phones.Open("", []phones.Phone{{Name: "Anna", Number: "+15551234567", Token: tokA}})
	if err != nil {
		t.Fatal(err)
	}
	h := NewHandler(Config{Store: &fakeStore{}, Phones: reg})
	req := httptest.NewRequest(http.MethodPost, "/mms/"+tokA, bytes.NewReader(sendReq(t, mms.Version12, nil)))
	req.Header.Set("Content-Type", ContentType)
	req.Header.Set("User-Agent", "Nokia6230i/2.0\x01")
	req.Header.Set("X-Wap-Profile", `"http://nds.nokia.com/uaprof/N6230ir200.xml"`)
	h.ServeHTTP(httptest.NewRecorder(), req)
	v, ok := reg.LastVisit(tokA)
	if !ok || v.What != "send" || v.UserAgent != "Nokia6230i/2.0?" || v.Profile == "" || v.Remote != req.RemoteAddr || v.Time.IsZero() {
		t.Fatalf("visit = %+v, %v", v, ok)
	}
	if _, ok := reg.LastVisit(tokB); ok {
		t.Fatal("visit recorded for a phone that did not post")
	}
}

// TestRefusalClosesConnection: a refused POST's unread body is not read
// to keep the connection (net/http would read up to 256 KB of it, at the
// client's pace): the answer says Connection: close and the server hangs
// up without waiting for the body; a refusal that peeks for the
// Transaction-Id (an unknown token, the open endpoint off) waits
// peekWait for it at most. OnRefused sees each refusal.
func TestRefusalClosesConnection(t *testing.T) {
	var refused []string
	var mu sync.Mutex
	h := NewHandler(Config{Store: &fakeStore{}, Phones: testPhones, OnRefused: func(result string, r *http.Request) {
		mu.Lock()
		refused = append(refused, result)
		mu.Unlock()
	}})
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, path := range []string{"/mms/" + tokA + "x", "/mms", "/elsewhere"} {
		c, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		// The head of a 100,000-byte body, and not a byte of it.
		fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: 100000\r\n\r\n", path, ContentType)
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		io.Copy(io.Discard, resp.Body)
		if !resp.Close {
			t.Errorf("%s: HTTP %d without Connection: close", path, resp.StatusCode)
		}
		if _, err := br.ReadByte(); err != io.EOF {
			t.Errorf("%s: after the answer, read %v; want EOF: the server kept the connection for the body", path, err)
		}
		c.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{ResultForbidden, ResultForbidden}; !slices.Equal(refused, want) {
		t.Errorf("OnRefused saw %q, want %q (404 is not an MMSC refusal)", refused, want)
	}
}
