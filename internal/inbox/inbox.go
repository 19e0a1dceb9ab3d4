package inbox

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/homemmsc/homemmsc/internal/phones"
	"github.com/homemmsc/homemmsc/internal/store"
)

// Phones is what the inbox needs of the phone registry
// (*phones.Registry).
type Phones interface {
	List() []phones.Phone
	ByNumber(number string) (phones.Phone, bool)
	ByToken(token string) (phones.Phone, bool)
	Add(name, number string) (phones.Phone, error)
	Remove(token string) error
	SetFallback(token string, on bool) error
	SetMaxMessage(token string, n int) error
	LastVisit(token string) (phones.Visit, bool)
}

// StatusItem is one row of the status page that the appliance fills in
// (modem, display, outbox, ...). Bad marks a row that needs the owner.
type StatusItem struct {
	Label, Value string
	Bad          bool
}

// Config configures the inbox. Store and Dir are required.
type Config struct {
	Store *store.Store
	// Dir holds the inbox's own state: the password hash ("password") and
	// the thumbnail cache ("thumbs/"). Created if missing.
	Dir string
	// PasswordHash, when set (from -inbox-password-file), is the password
	// (a hash from HashPassword) and first-visit setup is off.
	PasswordHash string
	// Phones is the phone registry; if nil the phones page says pairing
	// is not available.
	Phones Phones
	// MMSCURL returns the base URL phones post to as seen from the
	// request's page ("http://192.0.2.7:8080"); a phone's MMSC URL is it
	// + "/mms/" + token. If nil, "http://<host of the request>".
	MMSCURL func(r *http.Request) string
	// SelfTest, when set, runs the reachability self-test of a phone
	// (issue 7): it sends the phone a test notification and waits, for
	// minutes, until the phone fetches or the wait ends. The phones page
	// runs it in the background. If nil, the test button is disabled and
	// SelfTestOff says why.
	SelfTest    func(ctx context.Context, p phones.Phone) (ReachResult, error)
	SelfTestOff string
	// Status returns the appliance's rows for the status page; may be nil.
	Status func() []StatusItem
	// Version is shown on the status page.
	Version string

	Now        func() time.Time // if nil, time.Now
	Logger     *slog.Logger     // if nil, logs are discarded
	Iterations int              // PBKDF2 iterations for new hashes; if zero, DefaultIterations
	PageSize   int              // messages per list page; if zero, 50
}

// Handler is the inbox: an http.Handler for the LAN listener.
type Handler struct {
	cfg      Config
	mux      *http.ServeMux
	pages    map[string]*template.Template
	log      *slog.Logger
	now      func() time.Time
	started  time.Time
	auth     *auth
	thumbs   *thumbs
	unsub    func()
	checkCOP *http.CrossOriginProtection
	reach    *reachTests // nil without Config.SelfTest
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// New returns the inbox handler. It reads the stored password hash (if
// any) from cfg.Dir.
func New(cfg Config) (*Handler, error) {
	if cfg.Store == nil || cfg.Dir == "" {
		return nil, errors.New("inbox: Store and Dir are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = 50
	}
	if cfg.Iterations <= 0 {
		cfg.Iterations = DefaultIterations
	}
	if err := os.MkdirAll(filepath.Join(cfg.Dir, "thumbs"), 0o700); err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	pages, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	a, err := newAuth(cfg)
	if err != nil {
		return nil, err
	}
	h := &Handler{
		cfg: cfg, pages: pages, log: cfg.Logger, now: cfg.Now, started: cfg.Now(), auth: a,
		thumbs:   newThumbs(filepath.Join(cfg.Dir, "thumbs"), cfg.Store, cfg.Logger),
		checkCOP: http.NewCrossOriginProtection(),
	}
	if cfg.SelfTest != nil {
		h.reach = newReachTests(cfg.SelfTest, cfg.Now)
	}
	h.unsub = h.thumbs.follow(cfg.Store.Subscribe("inbox thumbnails", 0, store.Deleted))
	h.routes()
	if code := a.setupCode(); code != "" {
		// The log is the screen of a box without one: the journal only
		// its owner reads (journalctl -u homemmsc).
		h.log.Warn("inbox: no password is set: open the inbox on the LAN, and /setup asks for this one-time code", "code", code)
	}
	return h, nil
}

// SetupCode is the one-time code /setup asks for while no password is
// set, for the OLED to show; "" once a password is set or the code is
// used up by wrong tries. A new one is made at each start.
func (h *Handler) SetupCode() string {
	if h == nil { // no inbox
		return ""
	}
	return h.auth.setupCode()
}

// Close stops following the store (thumbnail clean-up) and cancels the
// reachability tests still running.
func (h *Handler) Close() {
	h.unsub()
	if h.reach != nil {
		h.reach.stop()
	}
}

func (h *Handler) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	m.Handle("GET /static/", http.StripPrefix("/static/", cacheFor(http.FileServerFS(static))))
	// Browsers ask for /favicon.ico on their own, before reading the
	// page's <link rel="icon">.
	m.Handle("GET /favicon.ico", http.RedirectHandler("/static/icon.png", http.StatusMovedPermanently))
	m.HandleFunc("GET /login", h.loginPage)
	m.HandleFunc("POST /login", h.login)
	m.HandleFunc("GET /setup", h.setupPage)
	m.HandleFunc("POST /setup", h.setup)
	m.Handle("POST /logout", h.authed(h.logout))
	m.Handle("GET /{$}", h.authed(h.conversations))
	m.Handle("GET /thread", h.authed(h.thread))
	m.Handle("GET /messages", h.authed(h.list))
	m.Handle("GET /m/{id}", h.authed(h.message))
	m.Handle("GET /m/{id}/original", h.authed(h.original))
	m.Handle("GET /m/{id}/part/{path}", h.authed(h.part))
	m.Handle("GET /m/{id}/thumb/{path}", h.authed(h.thumb))
	m.Handle("POST /m/{id}/seen", h.authed(h.setSeen))
	m.Handle("POST /seen-all", h.authed(h.seenAll))
	m.Handle("GET /m/{id}/delete", h.authed(h.deletePage))
	m.Handle("POST /m/{id}/delete", h.authed(h.delete))
	m.Handle("GET /phones", h.authed(h.phonesPage))
	m.Handle("POST /phones/add", h.authed(h.addPhone))
	m.Handle("GET /phones/remove", h.authed(h.removePage))
	m.Handle("POST /phones/remove", h.authed(h.removePhone))
	m.Handle("GET /phones/add", h.authed(toPhones))
	m.Handle("GET /phones/fallback", h.authed(toPhones))
	m.Handle("GET /phones/test", h.authed(toPhones))
	m.Handle("POST /phones/fallback", h.authed(h.setFallback))
	m.Handle("POST /phones/limit", h.authed(h.setLimit))
	m.Handle("POST /phones/test", h.authed(h.testPhone))
	m.Handle("GET /phones/qr/{token}", h.authed(h.phoneQR))
	m.Handle("GET /status", h.authed(h.statusPage))
	m.Handle("GET /backup", h.authed(h.backupPage))
	m.Handle("GET /backup.zip", h.authed(h.backup))
	m.Handle("GET /backup.xml", h.authed(h.backupXML))
	h.mux = m
}

// csp allows nothing but the inbox's own images, style sheet and media:
// no script at all, no frames, forms only to itself.
const csp = "default-src 'none'; img-src 'self'; style-src 'self'; media-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// ServeHTTP sets the security headers every response carries, refuses
// cross-origin POSTs (the CSRF token is checked as well, per action) and
// routes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", csp)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cache-Control", "no-store")
	if err := h.checkCOP.Check(r); err != nil {
		http.Error(w, "cross-origin request refused", http.StatusForbidden)
		return
	}
	h.mux.ServeHTTP(w, r)
}

func cacheFor(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=3600")
		next.ServeHTTP(w, r)
	})
}

// view is what every page template gets.
type view struct {
	Title  string
	Nav    string // the menu entry to highlight
	CSRF   string // the session's token, for every form
	New    int    // unseen messages, for the menu
	Notice string // what the last action did (sessions.notify)
	Data   any
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	t, ok := h.pages[name]
	if !ok {
		panic("inbox: no template " + name)
	}
	if s := sessionOf(r); s != nil {
		v.CSRF = s.csrf
		v.New = h.cfg.Store.Stats().New
		v.Notice = h.auth.sess.takeNotice(s)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := t.ExecuteTemplate(w, "layout", v); err != nil {
		h.log.Warn("inbox: render", "page", name, "err", err)
	}
}

// done answers a form that did what it asked: a notice for the next
// page, and a redirect to it (so a reload does not post again).
func (h *Handler) done(w http.ResponseWriter, r *http.Request, to, notice string) {
	h.auth.sess.notify(sessionOf(r), notice)
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// fail shows an error page with a short message for the owner.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	h.render(w, r, status, "error", view{Title: http.StatusText(status), Data: msg})
}
