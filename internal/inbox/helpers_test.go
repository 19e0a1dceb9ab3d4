package inbox

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/faketime"
	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/phones"
	"github.com/homemmsc/homemmsc/internal/store"
)

const testPassword = "correct horse battery"

type env struct {
	t      testing.TB
	h      *Handler
	st     *store.Store
	reg    *phones.Registry
	clock  *faketime.Fake // the inbox's: sessions, lockouts, uptime
	stored *faketime.Fake // the store's: when messages arrive
	dir    string
	cookie *http.Cookie
	csrf   string
	synced bool
}

// newEnv opens a store and an inbox with a known password (nothing set
// when setup is true).
func newEnv(t testing.TB, setup bool) *env {
	t.Helper()
	return newEnvConfig(t, setup, nil)
}

// newEnvConfig is newEnv with tweak applied to the inbox's Config.
func newEnvConfig(t testing.TB, setup bool, tweak func(*Config)) *env {
	t.Helper()
	start := time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)
	e := &env{t: t, clock: faketime.New(start), stored: faketime.New(start), dir: t.TempDir(), synced: true}
	st, err := store.Open(store.Config{Dir: e.dir + "/store", MinFree: -1, Now: e.stored.Now, ClockSynced: func() bool { return e.synced }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.st = st
	e.reg, err = phones.Open(e.dir+"/phones.json", []phones.Phone{{Name: "Fixed Phone", Number: "+15550001111", Token: "fixedtokenfixedtokenfixedtoken00"}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Store: st, Dir: e.dir + "/inbox", Phones: e.reg, Now: e.clock.Now, Iterations: 1000, Version: "v-test",
		MMSCURL: func(*http.Request) string { return "http://203.0.113.9:8080" },
		Status: func() []StatusItem {
			return []StatusItem{{Label: "Modem", Value: "registered, 3 bars"}, {Label: "Outbox", Value: "2", Bad: true}}
		},
	}
	if !setup {
		cfg.PasswordHash, err = HashPassword(testPassword, 1000)
		if err != nil {
			t.Fatal(err)
		}
	}
	if tweak != nil {
		tweak(&cfg)
	}
	e.h, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.h.Close)
	return e
}

// do serves one request with the session cookie (if any).
func (e *env) do(r *http.Request) *httptest.ResponseRecorder {
	if e.cookie != nil {
		r.AddCookie(e.cookie)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

func (e *env) get(path string) *httptest.ResponseRecorder {
	return e.do(httptest.NewRequest("GET", path, nil))
}

// post sends a form with the session's CSRF token added.
func (e *env) post(path string, form url.Values) *httptest.ResponseRecorder {
	if form == nil {
		form = url.Values{}
	}
	if form.Get("csrf") == "" {
		form.Set("csrf", e.csrf)
	}
	return e.postRaw(path, form)
}

func (e *env) postRaw(path string, form url.Values) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.do(r)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// formToken GETs a page and returns its form's token and the cookie that
// came with it.
func (e *env) formToken(path string) (string, *http.Cookie) {
	e.t.Helper()
	w := e.get(path)
	m := csrfField.FindStringSubmatch(w.Body.String())
	if m == nil {
		e.t.Fatalf("GET %s: no csrf field in %s", path, w.Body)
	}
	for _, c := range w.Result().Cookies() {
		if c.Name == loginCookie {
			return m[1], c
		}
	}
	e.t.Fatalf("GET %s: no %s cookie", path, loginCookie)
	return "", nil
}

// tryLogin posts the login form from remote addr and returns the answer.
func (e *env) tryLogin(password, remote string) *httptest.ResponseRecorder {
	tok, c := e.formToken("/login")
	r := httptest.NewRequest("POST", "/login", strings.NewReader(url.Values{"csrf": {tok}, "password": {password}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.RemoteAddr = remote
	r.AddCookie(c)
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

// login logs in and keeps the session cookie and CSRF token.
func (e *env) login() {
	e.t.Helper()
	w := e.tryLogin(testPassword, "192.168.1.20:5000")
	if w.Code != http.StatusSeeOther {
		e.t.Fatalf("login: %d %s", w.Code, w.Body)
	}
	e.takeSession(w)
}

func (e *env) takeSession(w *httptest.ResponseRecorder) {
	e.t.Helper()
	for _, c := range w.Result().Cookies() {
		if c.Name == sessionCookie {
			e.cookie = c
		}
	}
	if e.cookie == nil {
		e.t.Fatal("no session cookie")
	}
	m := csrfField.FindStringSubmatch(e.get("/status").Body.String())
	if m == nil {
		e.t.Fatal("no csrf token on the status page")
	}
	e.csrf = m[1]
}

// put stores a message built from parts, to +15559990000.
func (e *env) put(subject string, sender store.Sender, parts ...mms.Part) store.Meta {
	e.t.Helper()
	return e.putTo([]string{"+15559990000"}, subject, sender, parts...)
}

// putTo stores a message to the numbers to.
func (e *env) putTo(to []string, subject string, sender store.Sender, parts ...mms.Part) store.Meta {
	e.t.Helper()
	var addrs []mms.Address
	for _, n := range to {
		addrs = append(addrs, mms.PLMN(n))
	}
	msg := &mms.Message{
		Type: mms.TypeSendReq, TransactionID: "t1", Version: mms.Version12,
		From: mms.Address{Insert: true}, To: addrs,
		Subject:     mms.Text(subject),
		ContentType: mms.ContentType{MediaType: "application/vnd.wap.multipart.related"},
		Parts:       parts,
	}
	pdu, err := msg.Encode()
	if err != nil {
		e.t.Fatal(err)
	}
	dec, err := mms.Decode(pdu)
	if err != nil {
		e.t.Fatal(err)
	}
	m, err := e.st.Put(store.Incoming{PDU: pdu, Msg: dec, Sender: sender, Hints: map[string]string{"User-Agent": "TestPhone/1.0"}})
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

func textPart(s string) mms.Part {
	return mms.Part{ContentType: mms.ContentType{MediaType: "text/plain", Params: []mms.Param{{Name: "charset", Value: "utf-8"}}},
		ContentID: "<text1>", ContentLocation: "text1.txt", Data: []byte(s)}
}

func pngPart(name string) mms.Part {
	img := image.NewRGBA(image.Rect(0, 0, 320, 200))
	for x := range 320 {
		for y := range 200 {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 180, 255})
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return mms.Part{ContentType: mms.ContentType{MediaType: "image/png", Params: []mms.Param{{Name: "name", Value: name}}},
		ContentID: "<img1>", ContentLocation: name, Data: b.Bytes()}
}

func part(ct, name string, data string) mms.Part {
	return mms.Part{ContentType: mms.ContentType{MediaType: ct, Params: []mms.Param{{Name: "name", Value: name}}},
		ContentLocation: name, Data: []byte(data)}
}

var anna = store.Sender{Number: "+447700900123", Name: "Anna", Source: "token"}

func mustContain(t testing.TB, body string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(body, s) {
			t.Errorf("page lacks %q", s)
		}
	}
}

func mustNotContain(t testing.TB, body string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if strings.Contains(body, s) {
			t.Errorf("page holds %q", s)
		}
	}
}
