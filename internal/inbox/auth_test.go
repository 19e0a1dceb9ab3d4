package inbox

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/faketime"
)

func TestHashPasswordRoundTrip(t *testing.T) {
	h, err := HashPassword("s3cret-pass", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "pbkdf2-sha256$1000$") {
		t.Errorf("hash %q", h)
	}
	if !checkPassword(h, "s3cret-pass") || checkPassword(h, "s3cret-pasS") || checkPassword(h, "") {
		t.Error("checkPassword accepts the wrong password or refuses the right one")
	}
	h2, _ := HashPassword("s3cret-pass", 1000)
	if h == h2 {
		t.Error("two hashes of one password are equal: no salt")
	}
	for _, bad := range []string{"", "pbkdf2-sha256$1000$", "md5$1$aa$bb", "pbkdf2-sha256$10$" + strings.Repeat("A", 22) + "$" + strings.Repeat("A", 43)} {
		if checkPassword(bad, "x") {
			t.Errorf("checkPassword(%q) accepted", bad)
		}
	}
}

func TestDefaultIterationsAreHigh(t *testing.T) {
	if DefaultIterations < 600_000 {
		t.Errorf("DefaultIterations = %d, want at least OWASP's 600000 for PBKDF2-SHA256", DefaultIterations)
	}
}

func TestFirstVisitSetup(t *testing.T) {
	e := newEnv(t, true)
	if w := e.get("/"); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/setup" {
		t.Fatalf("GET / before setup: %d %q", w.Code, w.Header().Get("Location"))
	}
	if w := e.get("/login"); w.Header().Get("Location") != "/setup" {
		t.Errorf("GET /login before setup goes to %q", w.Header().Get("Location"))
	}
	code := e.h.SetupCode()
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		t.Fatalf("setup code %q: want six digits", code)
	}
	setup := func(pw, confirm string, tok string, c *http.Cookie) *httptest.ResponseRecorder {
		return setupWith(e, code, pw, confirm, tok, c)
	}
	page := httptest.NewRequest("GET", "/setup", nil)
	page.RemoteAddr = "192.168.1.20:5000"
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, page)
	mustContain(t, w.Body.String(), "No password is set yet", `name="confirm"`, `name="code"`)
	mustNotContain(t, w.Body.String(), code) // the page never shows it: the screen and the log do
	tok, c := formTokenOf(t, w)
	if w := setupWith(e, "not the code", "long enough 1", "long enough 1", tok, c); w.Code != http.StatusForbidden {
		t.Errorf("wrong setup code: %d", w.Code)
	}
	if w := setup("short", "short", tok, c); w.Code != http.StatusBadRequest {
		t.Errorf("short password: %d", w.Code)
	}
	if w := setup("long enough 1", "long enough 2", tok, c); w.Code != http.StatusBadRequest {
		t.Errorf("differing passwords: %d", w.Code)
	}
	if w := setup("long enough 1", "long enough 1", "forged", c); w.Code != http.StatusForbidden {
		t.Errorf("forged form token: %d", w.Code)
	}
	w = setup("long enough 1", "long enough 1", tok, c)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("setup: %d %s", w.Code, w.Body)
	}
	e.takeSession(w)
	b, err := os.ReadFile(filepath.Join(e.dir, "inbox", "password"))
	if err != nil || !strings.HasPrefix(string(b), "pbkdf2-sha256$") || strings.Contains(string(b), "long enough") {
		t.Errorf("stored password file %q, %v: want a hash only", b, err)
	}
	if w := setup("another one!", "another one!", tok, c); w.Code != http.StatusForbidden {
		t.Errorf("second setup: %d, want 403", w.Code)
	}
	if e.h.SetupCode() != "" {
		t.Error("the setup code outlives the password it set")
	}
	if w := e.get("/"); w.Code != http.StatusOK {
		t.Errorf("GET / after setup: %d", w.Code)
	}
	// A new handler on the same directory reads the stored hash.
	h2, err := New(Config{Store: e.st, Dir: filepath.Join(e.dir, "inbox")})
	if err != nil {
		t.Fatal(err)
	}
	defer h2.Close()
	if !h2.auth.check("long enough 1") {
		t.Error("the stored password does not verify after a restart")
	}
}

func setupWith(e *env, code, pw, confirm, tok string, c *http.Cookie) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", "/setup", strings.NewReader(url.Values{"csrf": {tok}, "code": {code}, "password": {pw}, "confirm": {confirm}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.RemoteAddr = "192.168.1.20:5000"
	r.AddCookie(c)
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

// TestSetupCodeTries: five wrong codes use the code up, the right one
// included after that; a restart (a new handler) makes a new code; a
// password from -inbox-password-file means no code at all.
func TestSetupCodeTries(t *testing.T) {
	e := newEnv(t, true)
	code := e.h.SetupCode()
	page := httptest.NewRequest("GET", "/setup", nil)
	page.RemoteAddr = "192.168.1.20:5000"
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, page)
	tok, c := formTokenOf(t, w)
	wrong := "1" + code[1:]
	if wrong == code {
		wrong = "2" + code[1:]
	}
	for i := range maxSetupTries {
		if w := setupWith(e, wrong, "long enough 1", "long enough 1", tok, c); w.Code != http.StatusForbidden {
			t.Fatalf("wrong code %d: %d", i+1, w.Code)
		}
	}
	w = setupWith(e, code, "long enough 1", "long enough 1", tok, c)
	if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "Restart the appliance") {
		t.Errorf("the right code after %d wrong ones: %d", maxSetupTries, w.Code)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "inbox", "password")); err == nil {
		t.Error("a password was set with a used-up code")
	}
	if e.h.SetupCode() != "" {
		t.Error("the used-up code is still offered to the screen")
	}
	h2, err := New(Config{Store: e.st, Dir: filepath.Join(e.dir, "inbox")})
	if err != nil {
		t.Fatal(err)
	}
	defer h2.Close()
	if c2 := h2.SetupCode(); c2 == "" {
		t.Error("a restart made no new code")
	}
	if e := newEnv(t, false); e.h.SetupCode() != "" {
		t.Error("a code while the password comes from -inbox-password-file")
	}
}

func formTokenOf(t *testing.T, w *httptest.ResponseRecorder) (string, *http.Cookie) {
	t.Helper()
	m := csrfField.FindStringSubmatch(w.Body.String())
	if m == nil {
		t.Fatalf("no csrf field in %s", w.Body)
	}
	for _, c := range w.Result().Cookies() {
		if c.Name == loginCookie {
			return m[1], c
		}
	}
	t.Fatal("no form cookie")
	return "", nil
}

func TestSetupRefusedFromOutsideTheLAN(t *testing.T) {
	e := newEnv(t, true)
	r := httptest.NewRequest("GET", "/setup", nil)
	r.RemoteAddr = "198.51.100.7:4000"
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	mustContain(t, w.Body.String(), "only sets a password for a browser on the local network")
	mustNotContain(t, w.Body.String(), `name="password"`)
	r = httptest.NewRequest("POST", "/setup", strings.NewReader("password=abcdefghij&confirm=abcdefghij"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.RemoteAddr = "198.51.100.7:4000"
	w = httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	if w.Code != http.StatusForbidden {
		t.Errorf("setup from a public address: %d", w.Code)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "inbox", "password")); err == nil {
		t.Error("a password file was written")
	}
}

func TestLoginFailureAndBackoff(t *testing.T) {
	e := newEnv(t, false)
	const addr = "192.168.1.30:1000"
	for i := range freeFailures {
		w := e.tryLogin("wrong password", addr)
		if w.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, w.Code)
		}
		mustContain(t, w.Body.String(), "Wrong password.")
		for _, c := range w.Result().Cookies() {
			if c.Name == sessionCookie && c.MaxAge >= 0 {
				t.Fatal("a failed login set a session cookie")
			}
		}
	}
	w := e.tryLogin(testPassword, addr) // even the right one waits now
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" {
		t.Fatalf("after %d failures: %d, Retry-After %q", freeFailures, w.Code, w.Header().Get("Retry-After"))
	}
	if w := e.tryLogin(testPassword, "192.168.1.31:1000"); w.Code != http.StatusSeeOther {
		t.Errorf("another address is locked out too: %d", w.Code)
	}
	e.clock.Add(2 * time.Second)
	if w := e.tryLogin("wrong again", addr); w.Code != http.StatusUnauthorized {
		t.Fatalf("after the lockout: %d", w.Code)
	}
	e.clock.Add(1500 * time.Millisecond) // the next lockout is 2 s
	if w := e.tryLogin(testPassword, addr); w.Code != http.StatusTooManyRequests {
		t.Errorf("lockout did not double: %d", w.Code)
	}
	e.clock.Add(time.Second)
	if w := e.tryLogin(testPassword, addr); w.Code != http.StatusSeeOther {
		t.Errorf("right password after the lockout: %d", w.Code)
	}
}

func TestLimiterGlobalAndCap(t *testing.T) {
	c := faketime.New(time.Unix(0, 0))
	l := newLimiter(c.Now)
	for i := range freeFailuresGlobal {
		l.fail("10.0.0." + string(rune('a'+i)))
	}
	if l.wait("10.9.9.9") == 0 {
		t.Error("many addresses failing did not slow a fresh one")
	}
	for i := range maxTracked + 10 {
		l.fail(time.Duration(i).String())
	}
	if len(l.m) > maxTracked+1 {
		t.Errorf("limiter tracks %d addresses, cap %d", len(l.m), maxTracked)
	}
	c.Add(maxLockout + forgetAfter + time.Second)
	l.fail("fresh")
	if l.m[globalKey].count != 1 {
		t.Errorf("global count %d after an hour of quiet, want 1", l.m[globalKey].count)
	}
}

func TestLoginNeedsFormToken(t *testing.T) {
	e := newEnv(t, false)
	w := e.postRaw("/login", url.Values{"password": {testPassword}})
	if w.Code != http.StatusForbidden {
		t.Errorf("login without the form token: %d", w.Code)
	}
}

func TestSessionCookie(t *testing.T) {
	e := newEnv(t, false)
	w := e.tryLogin(testPassword, "192.168.1.2:1")
	var c *http.Cookie
	for _, x := range w.Result().Cookies() {
		if x.Name == sessionCookie {
			c = x
		}
	}
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || len(c.Value) != 43 {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Strict, 256-bit id (43 base64 chars)", c)
	}
	e.takeSession(w)
	if w := e.get("/"); w.Code != http.StatusOK {
		t.Fatalf("with the cookie: %d", w.Code)
	}
	e.clock.Add(sessionIdle + time.Minute)
	if w := e.get("/"); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/login" {
		t.Errorf("after %v idle: %d %q", sessionIdle, w.Code, w.Header().Get("Location"))
	}
}

func TestSessionAbsoluteExpiry(t *testing.T) {
	e := newEnv(t, false)
	e.login()
	for e.clock.Now().Before(time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC).Add(sessionMax - time.Hour)) {
		if w := e.get("/"); w.Code != http.StatusOK {
			t.Fatalf("active session ended early at %v", e.clock.Now())
		}
		e.clock.Add(6 * time.Hour)
	}
	e.clock.Add(2 * time.Hour)
	if w := e.get("/"); w.Code != http.StatusSeeOther {
		t.Errorf("session older than %v still valid: %d", sessionMax, w.Code)
	}
}

func TestLogout(t *testing.T) {
	e := newEnv(t, false)
	e.login()
	if w := e.post("/logout", nil); w.Code != http.StatusSeeOther {
		t.Fatalf("logout: %d", w.Code)
	}
	if w := e.get("/"); w.Code != http.StatusSeeOther {
		t.Errorf("the old cookie still works after logout: %d", w.Code)
	}
}

func TestPagesNeedLogin(t *testing.T) {
	e := newEnv(t, false)
	m := e.put("hi", anna, textPart("hello"))
	for _, p := range []string{"/", "/m/" + m.ID, "/m/" + m.ID + "/original", "/m/" + m.ID + "/part/0", "/m/" + m.ID + "/thumb/0",
		"/m/" + m.ID + "/delete", "/phones", "/phones/qr/fixedtokenfixedtokenfixedtoken00", "/status", "/backup", "/backup.zip"} {
		if w := e.get(p); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/login" {
			t.Errorf("GET %s without a session: %d %q", p, w.Code, w.Header().Get("Location"))
		}
	}
	for _, p := range []string{"/m/" + m.ID + "/delete", "/m/" + m.ID + "/seen", "/seen-all", "/phones/add", "/phones/remove", "/phones/fallback", "/phones/limit", "/phones/test", "/logout"} {
		if w := e.post(p, nil); w.Code != http.StatusUnauthorized {
			t.Errorf("POST %s without a session: %d", p, w.Code)
		}
	}
	if _, ok := e.st.Get(m.ID); !ok {
		t.Error("the message was deleted without a session")
	}
}

func TestCSRFRefused(t *testing.T) {
	e := newEnv(t, false)
	e.login()
	m := e.put("keep me", anna, textPart("hello"))
	for _, tok := range []string{"", "forged", strings.Repeat("A", 43)} {
		w := e.postRaw("/m/"+m.ID+"/delete", url.Values{"csrf": {tok}})
		if w.Code != http.StatusForbidden {
			t.Errorf("delete with token %q: %d", tok, w.Code)
		}
	}
	for _, p := range []string{"/m/" + m.ID + "/seen", "/seen-all", "/phones/add", "/phones/remove", "/phones/fallback", "/phones/limit", "/phones/test", "/logout"} {
		if w := e.postRaw(p, url.Values{"name": {"x"}, "number": {"+15551234567"}, "token": {"fixedtokenfixedtokenfixedtoken00"}}); w.Code != http.StatusForbidden {
			t.Errorf("POST %s without a token: %d", p, w.Code)
		}
	}
	if _, ok := e.st.Get(m.ID); !ok {
		t.Error("the message was deleted by a forged request")
	}
	if len(e.reg.List()) != 1 {
		t.Error("a phone was added by a forged request")
	}
	// A cross-site POST is refused even with the right token.
	r := httptest.NewRequest("POST", "/m/"+m.ID+"/delete", strings.NewReader(url.Values{"csrf": {e.csrf}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	if w := e.do(r); w.Code != http.StatusForbidden {
		t.Errorf("cross-site POST: %d", w.Code)
	}
	if _, ok := e.st.Get(m.ID); !ok {
		t.Error("the message was deleted by a cross-site request")
	}
}
