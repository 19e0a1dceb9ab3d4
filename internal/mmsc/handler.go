package mmsc

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/homemmsc/homemmsc/internal/guard"
	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/phones"
	"github.com/homemmsc/homemmsc/internal/store"
)

// retryAfter is the Retry-After of a transient failure, in seconds: a
// full store is not emptied in less.
const retryAfter = "300"

// Size limits of a posted PDU.
const (
	DefaultMaxSize int64 = 1 << 20 // 1 MiB: what phones are configured for
	MaxMaxSize     int64 = 5 << 20 // 5 MiB: the most Config.MaxSize may raise it to
)

// Store is what the handler needs from the message store.
// *store.Store satisfies it.
type Store interface {
	// Put stores one message and returns nil only once it is durable.
	Put(in store.Incoming) (store.Meta, error)
}

// Config configures the handler. Its zero value serves nothing but the
// token endpoints of no phones and refuses everything else: set Store,
// Phones and Open.
type Config struct {
	Store  Store            // where messages go; if nil, every POST gets a transient failure
	Phones *phones.Registry // paired phones; nil means none

	// Open serves the open endpoint /mms (and /mms.php, the seed page's
	// path) where the sender comes from the PDU's From or ?n=. If false,
	// a POST there gets an M-Send.conf service-denied and nothing is
	// stored.
	Open bool
	// OpenUnpaired serves the open endpoint while no phone is paired, as
	// if Open were set: on a fresh appliance, until the owner pairs the
	// first phone in the inbox.
	OpenUnpaired bool
	// Anonymous stores a message whose sender cannot be identified, with
	// Source "none"; if false it is refused with sending-address-unresolved.
	Anonymous bool

	MaxSize int64            // largest body accepted; if zero, DefaultMaxSize; capped at MaxMaxSize
	Logger  *slog.Logger     // if nil, logs are discarded
	Now     func() time.Time // if nil, time.Now; used for the duration logged

	// OnRefused, if set, is called for each POST refused whatever its
	// body holds (an unknown token, the open endpoint off, an invalid ?n=,
	// another media type), with its Result; the handler logs these at
	// debug level only, so that the caller can log a summary (package
	// guard's Summary). It must not block.
	OnRefused func(result string, r *http.Request)
	// OnResult, if set, is called once for each POST to an MMSC endpoint
	// with its result (one of the Result constants) and the body bytes
	// read; for metrics, it must not block.
	OnResult func(result string, size int)
	// Allow, if set, must accept the number of a sender identified by
	// From or ?n=, or the message is refused as not allowed (nothing is
	// stored). Phones identified by their token are always accepted.
	Allow func(number string) bool
	// Retrieve serves the retrieve URLs GET /m/… and /v/… of delivery to
	// paired phones; if nil, they are 404 (see reply.go).
	Retrieve http.Handler
	// Prefix is the path of the public URL phones are given (-public-url
	// http://host:8080/mmsc: "/mmsc"; see PathPrefix). Every route is
	// then served under it as well as at the root, so that a reverse
	// proxy that passes the path on and one that strips it both work.
	Prefix string
	// Report takes the M-NotifyResp.ind and M-Acknowledge.ind phones
	// post; from is the posting phone's number on a token URL, "" on the
	// open endpoint. If nil, they are refused like any other non-M-Send.req.
	Report func(from string, m *mms.Message) error
}

// handler is the MMSC: it receives M-Send.req PDUs and answers M-Send.conf.
type handler struct {
	cfg     Config
	maxSize int64
	log     *slog.Logger
	now     func() time.Time
	bodies  bodies // recycled body buffers, bounded in total
}

// NewHandler returns the HTTP handler of the MMSC listener.
//
// Routes: POST /mms/<token> (a paired phone), POST /mms and /mms.php (the
// open endpoint, when Config.Open), GET / (a one-line description), and
// /m/… and /v/… to Config.Retrieve (see reply.go). Any other method gets
// 405, any other path 404, both as short plain text.
func NewHandler(cfg Config) http.Handler {
	h := &handler{cfg: cfg, maxSize: cfg.MaxSize, log: cfg.Logger, now: cfg.Now}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.maxSize <= 0 {
		h.maxSize = DefaultMaxSize
	}
	h.maxSize = min(h.maxSize, MaxMaxSize)
	return h
}

// endpoint is what a request path names.
type endpoint int

const (
	epNone  endpoint = iota // not ours
	epRoot                  // "/"
	epOpen                  // "/mms" or "/mms.php"
	epToken                 // "/mms/<token>"
)

func route(path string) (endpoint, string) {
	switch {
	case path == "/":
		return epRoot, ""
	case path == "/mms" || path == "/mms.php":
		return epOpen, ""
	case strings.HasPrefix(path, "/mms/"):
		return epToken, path[len("/mms/"):]
	}
	return epNone, ""
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-cache")
	r = h.unprefixed(r)
	ep, token := route(r.URL.Path)
	switch {
	case isRetrievePath(r.URL.Path):
		h.serveRetrieve(w, r)
	case ep == epNone:
		guard.CloseUnread(w, r)
		writeText(w, http.StatusNotFound, "not found")
	case ep == epRoot && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		writeText(w, http.StatusOK, h.about())
	case r.Method != http.MethodPost:
		w.Header().Set("Allow", http.MethodPost)
		guard.CloseUnread(w, r)
		writeText(w, http.StatusMethodNotAllowed, "method not allowed: phones POST MMS here")
	case ep == epRoot:
		guard.CloseUnread(w, r)
		writeText(w, http.StatusNotFound, "not found: phones POST MMS to /mms/<token>")
	default:
		h.servePost(w, r, ep, token)
	}
}

// about is what GET / says: where phones post, as things are now.
func (h *handler) about() string {
	s := "homemmsc: a home MMSC. Paired phones post MMS to " + h.cfg.Prefix + "/mms/<token> (their MMSC URL, on the inbox's Phones page)."
	if h.openNow() {
		s += " Open endpoint on: anyone may post to " + h.cfg.Prefix + "/mms?n=<number>."
	}
	return s
}

// openNow reports whether the open endpoint takes posts now.
func (h *handler) openNow() bool {
	return h.cfg.Open || (h.cfg.OpenUnpaired && h.cfg.Phones.Len() == 0)
}

// unprefixed returns r with Config.Prefix cut from its path, as
// http.StripPrefix does, or r itself when its path is not under it.
func (h *handler) unprefixed(r *http.Request) *http.Request {
	rest, ok := strings.CutPrefix(r.URL.Path, h.cfg.Prefix)
	if h.cfg.Prefix == "" || !ok || (rest != "" && rest[0] != '/') {
		return r
	}
	if rest == "" {
		rest = "/"
	}
	r2 := new(http.Request)
	*r2 = *r
	r2.URL = new(url.URL)
	*r2.URL = *r.URL
	r2.URL.Path, r2.URL.RawPath = rest, ""
	return r2
}

// PathPrefix returns Config.Prefix for a public URL: its path, "" for
// none. A path that is, or starts with, one of the routes (/mms, /mms.php,
// /m, /v) is refused: a request under it could mean either.
func PathPrefix(publicURL string) (string, error) {
	if publicURL == "" {
		return "", nil
	}
	u, err := url.Parse(publicURL)
	if err != nil {
		return "", err
	}
	p := strings.TrimRight(u.EscapedPath(), "/")
	if u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(p, "%;") || strings.Contains(p, "//") || strings.Contains(p, "/.") {
		return "", fmt.Errorf("%s: want a plain path such as /mmsc", publicURL)
	}
	for _, r := range []string{"/mms", "/mms.php", "/m", "/v"} {
		if p == r || strings.HasPrefix(p, r+"/") {
			return "", fmt.Errorf("%s: the path %s would mix with the MMSC's own %s/...; use another, such as /mmsc", publicURL, p, r)
		}
	}
	return p, nil
}

// servePost refuses what is refused whatever the body holds: a foreign
// media type, with a plain-text 415; a disabled open endpoint, an unknown
// token or an invalid ?n=, with an M-Send.conf the phone shows (refuseConf).
func (h *handler) servePost(w http.ResponseWriter, r *http.Request, ep endpoint, token string) {
	if !isMMSType(r.Header.Get("Content-Type")) {
		h.refuse(w, r, http.StatusUnsupportedMediaType, "want Content-Type: "+ContentType)
		return
	}
	var phone *phones.Phone
	var n string
	switch ep {
	case epOpen:
		if !h.openNow() {
			h.refuseConf(w, r, outForbidden, "open endpoint disabled: use this phone's MMSC URL with its token")
			return
		}
		var err error
		if n, err = queryNumber(r.URL.RawQuery); err != nil {
			h.refuseConf(w, r, outNoSender, err.Error())
			return
		}
	case epToken:
		p, ok := h.cfg.Phones.ByToken(token)
		if !ok {
			h.refuseConf(w, r, outForbidden, "unknown phone token: check this phone's MMSC URL")
			return
		}
		h.cfg.Phones.Saw(p.Token, visit(r, "send", h.now()))
		phone = &p
	}
	h.receive(w, r, phone, n)
}

// refuseConf answers an M-Send.conf with a permanent error, whose
// Response-Text says why, to a POST refused whatever its body holds.
// Only the body's first peekLen octets are read, for its Transaction-Id
// and version, and nothing is stored. Not an HTTP error: AOSP retries
// any non-2xx silently, so a phone with a mistyped MMSC URL would retry
// for ever and its owner would never see why.
//
// A phone sends its body at once; an attacker may send it a byte at a
// time. So the peek waits peekWait at most, and the answer lets go of the
// connection (guard.CloseUnread); the refusal is logged at debug level
// only and passed to OnRefused, for the log's summary.
func (h *handler) refuseConf(w http.ResponseWriter, r *http.Request, o outcome, why string) {
	start := h.now()
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Now().Add(peekWait)) //nolint:errcheck // a socket deadline is wall time; unsupported in tests
	// Evicted first if room is needed meanwhile: the listener then cuts
	// the peek short (after the deadline above, which it overrides).
	guard.Refusing(r)
	buf := make([]byte, peekLen)
	n, _ := io.ReadFull(http.MaxBytesReader(w, r.Body, peekLen), buf)
	guard.CloseUnread(w, r)
	res := result{peek: peek(buf[:n]), size: n, refused: true}
	res = res.fail(o, fmt.Errorf("mmsc: %s (path %s)", why, redactPath(r.URL.Path)), why)
	if h.cfg.OnRefused != nil {
		h.cfg.OnRefused(o.result(), r)
	}
	h.answer(w, r, res, start)
}

// peekWait bounds the wait for the first peekLen octets of a refused
// body: a phone on GPRS sends them in well under a second.
const peekWait = 2 * time.Second

// refuse answers plain text and closes the connection; nothing is read
// or stored. Each refusal is logged at debug level only and passed to
// OnRefused: an attacker's flood of them must not flood the log.
func (h *handler) refuse(w http.ResponseWriter, r *http.Request, code int, why string) {
	if h.log.Enabled(r.Context(), slog.LevelDebug) {
		h.log.Debug("mmsc: refused", "remote", r.RemoteAddr, "path", redactPath(r.URL.Path), "http", code, "why", why)
	}
	result := refusedResult(code)
	if h.cfg.OnRefused != nil {
		h.cfg.OnRefused(result, r)
	}
	h.report(result, 0) // before the answer: a client that saw it sees it counted
	guard.CloseUnread(w, r)
	writeText(w, code, why)
}

// redactPath keeps tokens out of the log: a wrong token may be a right
// one mistyped.
func redactPath(p string) string {
	if ep, tok := route(p); ep == epToken && tok != "" {
		return "/mms/<token>"
	}
	return p
}

// isMMSType reports whether a Content-Type is the MMS one, whatever its
// case and parameters (a broken parameter is forgiven: we don't use them).
func isMMSType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil && !errors.Is(err, mime.ErrInvalidMediaParameter) {
		return false
	}
	return mt == ContentType // ParseMediaType lower-cases mt
}

// queryNumber returns the ?n= number of the open endpoint, "" if absent.
// The raw query is unescaped as a path, not as a form: the seed's URLs
// have a literal "+15551234567", which form decoding turns into a space.
// Anything but one "+" and 3–20 digits is an error.
func queryNumber(rawQuery string) (string, error) {
	var n string
	found := false
	for _, kv := range strings.Split(rawQuery, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if k != "n" {
			continue
		}
		if found {
			return "", errors.New("invalid ?n=: given twice")
		}
		found = true
		var err error
		if n, err = url.PathUnescape(v); err != nil || !phones.ValidNumber(n) {
			return "", errors.New("invalid ?n=: want + and 3-20 digits")
		}
	}
	return n, nil
}

// result is the fate of one posted PDU.
type result struct {
	out     outcome
	peek    peeked // type, transaction id and version as far as known
	size    int
	sender  store.Sender
	meta    store.Meta // set when out == outStored
	err     error      // why, for the log
	message string     // X-Mms-Response-Text
	refused bool       // refused whatever the body held: logged at debug level (refuseConf)
}

// receive reads the body (capped), decides, stores, and answers.
func (h *handler) receive(w http.ResponseWriter, r *http.Request, phone *phones.Phone, n string) {
	start := h.now()
	body, release, over, err := h.readBody(w, r)
	defer release()
	if err != nil {
		h.log.Warn("mmsc: body not read", "remote", r.RemoteAddr, "err", err)
		h.report(ResultBadRequest, len(body))
		guard.CloseUnread(w, r)
		writeText(w, http.StatusBadRequest, "incomplete body")
		return
	}
	if !over && h.isReport(peek(body).typ) {
		h.phoneReport(w, r, body, phone)
		return
	}
	res := h.process(r, body, over, phone, n)
	res.size = len(body)
	h.answer(w, r, res, start)
}

// answer writes the M-Send.conf of a result, then reports and logs it. A
// transient failure gets HTTP 503 instead (see status).
func (h *handler) answer(w http.ResponseWriter, r *http.Request, res result, start time.Time) {
	c := conf{
		tid:     res.peek.tid,
		version: mms.ReplyVersion(res.peek.version),
		text:    res.message,
	}
	if c.tid == "" {
		c.tid = fallbackTID
	}
	c.status = status(res.out)
	if res.out == outStored {
		c.messageID = res.meta.ID
	}
	h.report(res.out.result(), res.size) // before the answer: a client that saw it sees it counted
	if res.out == outTransient {
		w.Header().Set("Retry-After", retryAfter)
		writeText(w, http.StatusServiceUnavailable, res.message)
		h.logResult(r, res, c, h.now().Sub(start))
		return
	}
	pdu, err := c.encode()
	if err != nil {
		h.log.Error("mmsc: M-Send.conf not encoded", "err", err)
		writeText(w, http.StatusInternalServerError, "internal error")
		return
	}
	writeConf(w, pdu)
	h.logResult(r, res, c, h.now().Sub(start))
}

// readBody reads at most maxSize bytes. over reports a body larger than
// that; body then holds only a prefix, enough to find the transaction id.
// A body of declared length is read into a recycled buffer once the
// bodies in flight leave room for it (see bodies); release gives the
// buffer back and must be called once body is no longer used.
func (h *handler) readBody(w http.ResponseWriter, r *http.Request) (body []byte, release func(), over bool, err error) {
	rd := http.MaxBytesReader(w, r.Body, h.maxSize)
	release = func() {}
	if r.ContentLength > h.maxSize {
		// Declared too large: don't read further than the id.
		buf := make([]byte, peekLen)
		n, _ := io.ReadFull(rd, buf)
		return buf[:n], release, true, nil
	}
	if r.ContentLength >= 0 {
		buf, rel, err := h.bodies.get(r.Context(), int(r.ContentLength))
		if err != nil {
			return nil, release, false, err
		}
		n, err := io.ReadFull(rd, buf)
		return buf[:n], rel, false, err
	}
	// Chunked: the length is unknown, so count the largest allowed.
	rel, err := h.bodies.hold(r.Context(), h.maxSize)
	if err != nil {
		return nil, release, false, err
	}
	release = rel
	var b bytes.Buffer
	_, err = b.ReadFrom(rd)
	if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
		return b.Bytes(), release, true, nil
	}
	return b.Bytes(), release, false, err
}

// process turns a body into a result, storing it when it deserves to be.
func (h *handler) process(r *http.Request, body []byte, over bool, phone *phones.Phone, n string) result {
	res := result{peek: peek(body)}
	if over {
		return res.fail(outTooLarge, nil, fmt.Sprintf("message larger than %d bytes", h.maxSize))
	}
	if res.peek.typ != 0 && res.peek.typ != mms.TypeSendReq {
		return res.fail(outUnsupported, nil, "only M-Send.req is accepted here")
	}
	msg, err := mms.Decode(body)
	if err != nil {
		if errors.Is(err, mms.ErrTooLarge) || errors.Is(err, mms.ErrTooManyParts) {
			return res.fail(outTooLarge, err, "message over a limit of this MMSC")
		}
		return res.fail(outCorrupt, err, "malformed MMS PDU")
	}
	res.peek = peeked{typ: msg.Type, tid: msg.TransactionID, version: msg.Version}
	if msg.Type != mms.TypeSendReq || msg.Version>>4 > 1 {
		return res.fail(outUnsupported, nil, "only MMS 1.x M-Send.req is accepted here")
	}
	// Both are mandatory (OMA-MMS-ENC §6.1.1); without Content-Type the
	// PDU was most likely cut in its headers.
	if msg.Version == 0 || msg.ContentType.MediaType == "" {
		return res.fail(outCorrupt, errors.New("mmsc: M-Send.req without MMS-Version or Content-Type"), "malformed MMS PDU")
	}
	sender, ok := identify(phone, msg, n)
	res.sender = sender
	if !ok && !h.cfg.Anonymous {
		return res.fail(outNoSender, nil, "sender unknown: use your MMSC URL with its token")
	}
	if h.cfg.Allow != nil && sender.Source != SourceToken && !h.cfg.Allow(sender.Number) {
		return res.fail(outNotAllowed, nil, "sender not allowed on this MMSC")
	}
	return h.store(r, res, body, msg)
}

func (res result) fail(o outcome, err error, msg string) result {
	res.out, res.err, res.message = o, err, msg
	return res
}

// store puts the message in the store. What happens to a stored message
// next is the store's subscribers' (store.Subscribe), not the handler's.
func (h *handler) store(r *http.Request, res result, body []byte, msg *mms.Message) result {
	if h.cfg.Store == nil {
		return res.fail(outTransient, errors.New("mmsc: no store configured"), "storage unavailable, try again later")
	}
	meta, err := h.cfg.Store.Put(store.Incoming{
		PDU:        body,
		Msg:        msg,
		Sender:     res.sender,
		Hints:      hints(r, msg, res.sender),
		RemoteAddr: r.RemoteAddr,
	})
	if err == nil && meta.ID == "" {
		err = errors.New("mmsc: store returned an empty id")
	}
	if err != nil {
		return res.fail(outTransient, err, "storage full or failing, try again later")
	}
	res.out, res.meta = outStored, meta
	return res
}

// logResult writes the one log line per posted message.
func (h *handler) logResult(r *http.Request, res result, c conf, d time.Duration) {
	level := slog.LevelInfo
	if res.out != outStored {
		level = slog.LevelWarn
	}
	if res.out == outTransient {
		level = slog.LevelError
	}
	if res.refused {
		level = slog.LevelDebug // summed up by OnRefused's caller
	}
	if !h.log.Enabled(r.Context(), level) {
		return // the attributes cost allocations on every request
	}
	code := fmt.Sprintf("0x%02X", byte(c.status))
	if res.out == outTransient {
		code = "HTTP 503"
	}
	attrs := []any{
		"id", res.meta.ID, "sender", res.sender.Number, "source", res.sender.Source,
		"size", res.size, "status", res.out.String(), "code", code,
		"tid", c.tid, "duration", d, "remote", r.RemoteAddr,
	}
	if res.err != nil {
		attrs = append(attrs, "err", res.err)
	}
	h.log.Log(r.Context(), level, "mms", attrs...)
}
