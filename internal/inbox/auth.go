package inbox

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/homemmsc/homemmsc/internal/atomicfile"
)

const (
	sessionCookie = "homemmsc_session"
	loginCookie   = "homemmsc_login" // double-submit token of the login and setup forms
	passwordFile  = "password"
	maxFormBytes  = 8 << 10 // every form the inbox has is a few fields
)

// auth holds the password hash, the sessions and the login backoff.
type auth struct {
	mu     sync.Mutex
	hash   string // "" until set
	fixed  bool   // from -inbox-password-file: setup is off
	path   string // where setup saves the hash
	iter   int
	sess   *sessions
	limit  *limiter
	hashes chan struct{} // one PBKDF2 at a time: a Pi has one to four slow cores

	// code is the one-time setup code while no password is set: made at
	// each start, shown on the OLED and in the log, "" once used up or
	// after maxSetupTries wrong ones (then only a restart makes another).
	code  string
	tries int
}

// Setup code: six random digits, five tries.
const (
	setupCodeDigits = 6
	maxSetupTries   = 5
)

// newSetupCode returns six random decimal digits.
func newSetupCode() string {
	var b strings.Builder
	for range setupCodeDigits {
		n, _ := rand.Int(rand.Reader, big.NewInt(10))
		b.WriteByte(byte('0' + n.Int64()))
	}
	return b.String()
}

func newAuth(cfg Config) (*auth, error) {
	a := &auth{
		path: filepath.Join(cfg.Dir, passwordFile), iter: cfg.Iterations,
		sess: newSessions(cfg.Now), limit: newLimiter(cfg.Now), hashes: make(chan struct{}, 1),
	}
	if cfg.PasswordHash != "" {
		if _, _, _, err := parseHash(cfg.PasswordHash); err != nil {
			return nil, err
		}
		a.hash, a.fixed = cfg.PasswordHash, true
		return a, nil
	}
	b, err := os.ReadFile(a.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		a.code = newSetupCode() // the first visit sets it, with this code
		return a, nil
	case err != nil:
		return nil, fmt.Errorf("inbox: %w", err)
	}
	if _, _, _, err := parseHash(string(b)); err != nil {
		return nil, fmt.Errorf("inbox: %s: %w", a.path, err)
	}
	a.hash = string(b)
	return a, nil
}

func (a *auth) current() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.hash
}

// check verifies a password, one hash computation at a time.
func (a *auth) check(password string) bool {
	a.hashes <- struct{}{}
	defer func() { <-a.hashes }()
	return checkPassword(a.current(), password)
}

// set hashes password and saves it durably (first-visit setup). It fails
// when a password was set meanwhile.
func (a *auth) set(password string) error {
	a.hashes <- struct{}{}
	h, err := HashPassword(password, a.iter)
	<-a.hashes
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.hash != "" {
		return errors.New("a password is already set")
	}
	if err := atomicfile.Write(a.path, []byte(h+"\n"), true); err != nil {
		return err
	}
	a.hash = h
	a.sess.endAll()
	return nil
}

// setupCode is the code /setup asks for, "" when there is none (a
// password is set, or the tries are used up).
func (a *auth) setupCode() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.hash != "" {
		return ""
	}
	return a.code
}

// checkCode compares a code typed on /setup (spaces ignored) in constant
// time; each wrong one uses up a try, and the last wrong one the code.
func (a *auth) checkCode(typed string) (ok, usedUp bool) {
	typed = strings.ReplaceAll(strings.TrimSpace(typed), " ", "")
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.code != "" && subtle.ConstantTimeCompare([]byte(typed), []byte(a.code)) == 1 {
		return true, false
	}
	a.tries++
	if a.tries >= maxSetupTries {
		a.code = ""
	}
	return false, a.code == ""
}

type ctxKey struct{}

func sessionOf(r *http.Request) *session {
	s, _ := r.Context().Value(ctxKey{}).(*session)
	return s
}

// authed lets a request with a live session through; others go to the
// login page (or setup, when no password exists yet). A POST must also
// carry the session's CSRF token.
func (h *Handler) authed(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var s *session
		if c, err := r.Cookie(sessionCookie); err == nil {
			s = h.auth.sess.get(c.Value)
		}
		if s == nil {
			h.toLogin(w, r)
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		}
		if r.Method == http.MethodPost && !validCSRF(r, s.csrf) {
			h.fail(w, r, http.StatusForbidden, "This form has expired or did not come from the inbox. Go back, reload the page and try again.")
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, s)))
	})
}

func (h *Handler) toLogin(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		h.fail(w, r, http.StatusUnauthorized, "Your session has ended: log in again.")
		return
	}
	to := "/login"
	if h.auth.current() == "" {
		to = "/setup"
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// validCSRF compares the form's token with want in constant time.
func validCSRF(r *http.Request, want string) bool {
	got := r.PostFormValue("csrf")
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// formToken sets the double-submit cookie of the login and setup forms
// and returns the token to put in the form.
func formToken(w http.ResponseWriter, r *http.Request) string {
	tok := randomToken()
	http.SetCookie(w, &http.Cookie{
		Name: loginCookie, Value: tok, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, MaxAge: 3600,
	})
	return tok
}

func validFormToken(r *http.Request) bool {
	c, err := r.Cookie(loginCookie)
	return err == nil && validCSRF(r, c.Value)
}

type loginView struct {
	Token, Error string
}

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	if h.auth.current() == "" {
		http.Redirect(w, r, "/setup", http.StatusSeeOther)
		return
	}
	h.render(w, r, http.StatusOK, "login", view{Title: "Log in", Data: loginView{Token: formToken(w, r)}})
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	addr := remoteIP(r)
	if d := h.auth.limit.wait(addr); d > 0 {
		secs := int(d/time.Second) + 1
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		h.render(w, r, http.StatusTooManyRequests, "login", view{Title: "Log in", Data: loginView{
			Token: formToken(w, r), Error: fmt.Sprintf("Too many wrong passwords: wait %d s and try again.", secs)}})
		return
	}
	if !validFormToken(r) {
		h.render(w, r, http.StatusForbidden, "login", view{Title: "Log in", Data: loginView{
			Token: formToken(w, r), Error: "The form had expired: try again."}})
		return
	}
	if !h.auth.check(r.PostFormValue("password")) {
		h.auth.limit.fail(addr)
		h.log.Warn("inbox: wrong password", "remote", r.RemoteAddr)
		h.render(w, r, http.StatusUnauthorized, "login", view{Title: "Log in", Data: loginView{
			Token: formToken(w, r), Error: "Wrong password."}})
		return
	}
	h.auth.limit.succeed(addr)
	h.startSession(w, r)
}

func (h *Handler) startSession(w http.ResponseWriter, r *http.Request) {
	id, _ := h.auth.sess.create()
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: id, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, MaxAge: int(sessionMax / time.Second),
	})
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Path: "/", MaxAge: -1})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	h.auth.sess.end(sessionOf(r))
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// noCodeLeft is why /setup refuses once its code is used up.
const noCodeLeft = "Too many wrong codes. Restart the appliance (sudo systemctl restart homemmsc): it shows a new code on its screen and in its log."

type setupView struct {
	Token, Error string
	Min          int
	Refused      string // why setup cannot be done from here
}

// setupPage offers to choose the password on the first visit, only while
// none is set, and only to a client on the local network.
func (h *Handler) setupPage(w http.ResponseWriter, r *http.Request) {
	if h.auth.current() != "" {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	v := setupView{Min: MinPasswordLen}
	switch {
	case !localClient(r):
		v.Refused = "This page only sets a password for a browser on the local network."
	case h.auth.setupCode() == "":
		v.Refused = noCodeLeft
	default:
		v.Token = formToken(w, r)
	}
	h.render(w, r, http.StatusOK, "setup", view{Title: "Choose the inbox password", Data: v})
}

func (h *Handler) setup(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if h.auth.current() != "" || !localClient(r) {
		h.fail(w, r, http.StatusForbidden, "The password cannot be set from here.")
		return
	}
	again := func(status int, msg string) {
		h.render(w, r, status, "setup", view{Title: "Choose the inbox password", Data: setupView{
			Token: formToken(w, r), Error: msg, Min: MinPasswordLen}})
	}
	if !validFormToken(r) {
		again(http.StatusForbidden, "The form had expired: try again.")
		return
	}
	switch ok, usedUp := h.auth.checkCode(r.PostFormValue("code")); {
	case usedUp:
		h.log.Warn("inbox: setup code used up by wrong tries: restart the appliance for a new one", "remote", r.RemoteAddr)
		h.render(w, r, http.StatusForbidden, "setup", view{Title: "Choose the inbox password", Data: setupView{Refused: noCodeLeft}})
		return
	case !ok:
		h.log.Warn("inbox: wrong setup code", "remote", r.RemoteAddr)
		again(http.StatusForbidden, "That is not the code: it is on the appliance's screen and in its log.")
		return
	}
	pw := r.PostFormValue("password")
	switch {
	case len(pw) < MinPasswordLen || len(pw) > maxPasswordLen:
		again(http.StatusBadRequest, fmt.Sprintf("Choose a password of at least %d characters.", MinPasswordLen))
		return
	case pw != r.PostFormValue("confirm"):
		again(http.StatusBadRequest, "The two passwords differ.")
		return
	}
	if err := h.auth.set(pw); err != nil {
		h.log.Error("inbox: setting the password", "err", err)
		h.fail(w, r, http.StatusInternalServerError, "The password could not be saved: "+err.Error())
		return
	}
	h.log.Info("inbox: password set on first visit", "remote", r.RemoteAddr)
	h.startSession(w, r)
}

// remoteIP is the client's address without the port.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// localClient reports whether the client is on this host or a private
// network: the inbox is meant for the LAN listener, and this keeps a
// listener exposed by mistake from letting a stranger choose the password.
func localClient(r *http.Request) bool {
	ip := net.ParseIP(remoteIP(r))
	return ip != nil && (ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast())
}
