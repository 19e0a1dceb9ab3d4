package inbox

import (
	"html"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/homemmsc/homemmsc/internal/phones"
	"github.com/homemmsc/homemmsc/internal/store"
)

// maxPageSize bounds ?n=: one page may show every message of a large
// store (BenchmarkList renders 5,000 rows), not more.
const (
	maxPageSize  = 5000
	thumbsPerRow = 3
	dateForm     = "2006-01-02"
)

// search is the list's filter, read from the query string.
type search struct {
	Sender, Subject string
	From, To        string // YYYY-MM-DD, inclusive, local time
	NewOnly         bool
	Page, Size      int // 1-based page, rows per page

	from, to time.Time // parsed; zero = open
	numbers  []string  // of the paired phones whose name has Sender in it
	defSize  int       // Config.PageSize: links leave it out
}

func (h *Handler) parseSearch(r *http.Request) search {
	q := r.URL.Query()
	s := search{
		Sender:  strings.TrimSpace(q.Get("sender")),
		Subject: strings.TrimSpace(q.Get("subject")),
		From:    q.Get("from"), To: q.Get("to"),
		NewOnly: q.Get("new") == "1",
		Page:    1, Size: h.cfg.PageSize, defSize: h.cfg.PageSize,
	}
	if p, err := strconv.Atoi(q.Get("page")); err == nil && p > 0 {
		s.Page = p
	}
	if n, err := strconv.Atoi(q.Get("n")); err == nil && n > 0 {
		s.Size = min(n, maxPageSize)
	}
	s.from, s.to = parseRange(s.From, s.To)
	if s.Sender != "" {
		s.numbers = h.numbersNamed(s.Sender)
	}
	return s
}

// parseRange reads two dates in local time; to is inclusive, so the
// range ends at the following midnight. A date that does not parse is
// ignored.
func parseRange(from, to string) (time.Time, time.Time) {
	var f, t time.Time
	if d, err := time.ParseInLocation(dateForm, from, time.Local); err == nil {
		f = d
	}
	if d, err := time.ParseInLocation(dateForm, to, time.Local); err == nil {
		t = d.AddDate(0, 0, 1)
	}
	return f, t
}

// numbersNamed returns the numbers of the phones whose name contains
// name, so a search for "Anna" finds the messages her phone proved it
// sent, also those recorded before it had that name.
func (h *Handler) numbersNamed(name string) []string {
	var out []string
	if h.cfg.Phones == nil {
		return nil
	}
	for _, p := range h.cfg.Phones.List() {
		if containsFold(p.Name, name) {
			out = append(out, p.Number)
		}
	}
	return out
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// match is the store query's filter, on the summary the store keeps in
// memory; it runs under the store's read lock.
func (s *search) match(m store.Summary) bool {
	if s.NewOnly && m.Seen {
		return false
	}
	if !s.from.IsZero() && m.Received.Before(s.from) || !s.to.IsZero() && !m.Received.Before(s.to) {
		return false
	}
	if s.Subject != "" && !containsFold(m.Subject, s.Subject) {
		return false
	}
	return s.Sender == "" || containsFold(m.Sender.Number, s.Sender) || s.provenBy(m.Sender)
}

// provenBy reports whether sender is one of the phones the search names,
// proven by its token: a claimed number is found by the number only.
func (s *search) provenBy(sender store.Sender) bool {
	if !sender.Proven() {
		return false
	}
	if containsFold(sender.Name, s.Sender) {
		return true
	}
	for _, n := range s.numbers {
		if phones.SameNumber(n, sender.Number) {
			return true
		}
	}
	return false
}

func (s *search) active() bool {
	return s.Sender != "" || s.Subject != "" || s.From != "" || s.To != "" || s.NewOnly
}

// link returns the list URL for page p with the same filter.
func (s *search) link(p int) string {
	v := url.Values{}
	for k, x := range map[string]string{"sender": s.Sender, "subject": s.Subject, "from": s.From, "to": s.To} {
		if x != "" {
			v.Set(k, x)
		}
	}
	if s.NewOnly {
		v.Set("new", "1")
	}
	if p > 1 {
		v.Set("page", strconv.Itoa(p))
	}
	if s.Size > 0 && s.Size != s.defSize {
		v.Set("n", strconv.Itoa(s.Size))
	}
	if len(v) == 0 {
		return "/messages"
	}
	return "/messages?" + v.Encode()
}

// row is one message in the list.
type row struct {
	ID, Subject, Summary string
	From                 person
	Time, Full           string // short; complete for the tooltip
	Synced, Seen         bool
	Thumbs               template.HTML // the <img> elements, see thumbsHTML
}

type listView struct {
	Rows         []row
	Search       search
	Total, Pages int
	Prev, Next   string
	Filtered     bool
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	s := h.parseSearch(r)
	page, total := h.cfg.Store.Query(store.Query{Match: s.match, Offset: (s.Page - 1) * s.Size, Limit: s.Size})
	v := listView{Search: s, Total: total, Pages: (total + s.Size - 1) / s.Size, Filtered: s.active()}
	v.Rows = make([]row, len(page))
	for i := range page {
		v.Rows[i] = h.row(&page[i])
	}
	if s.Page > 1 {
		v.Prev = s.link(s.Page - 1)
	}
	if s.Page < v.Pages {
		v.Next = s.link(s.Page + 1)
	}
	h.render(w, r, http.StatusOK, "list", view{Title: "All messages", Nav: "messages", Data: v})
}

func (h *Handler) row(m *store.Meta) row {
	return row{
		ID: m.ID, Subject: m.Subject, Seen: m.Seen, Synced: m.ClockSynced,
		From: h.senderOf(m.Sender), Time: shortTime(m.Received, h.now()), Full: m.Received.Local().Format("2006-01-02 15:04"),
		Summary: summary(m.Parts), Thumbs: thumbsHTML(m),
	}
}

// thumbsHTML writes the list's <img> elements for a message's first
// images in Go rather than in the template: each attribute the template
// fills costs three escaper calls, and on a page of 5,000 rows the
// thumbnails were a third of the rendering (BenchmarkList). The URL is
// built from a store id (digits and '-', checked by the store) and a
// part index, and is HTML-escaped all the same.
func thumbsHTML(m *store.Meta) template.HTML {
	var b strings.Builder
	n := 0
	for _, p := range m.Parts {
		if n == thumbsPerRow {
			break
		}
		if thumbable(p.ContentType) {
			n++
			b.WriteString(`<img src="` + html.EscapeString("/m/"+m.ID+"/thumb/"+strconv.Itoa(p.Index)) +
				`" alt="" loading="lazy" width="56" height="56">`)
		}
	}
	return template.HTML(b.String())
}

// summary says what a message holds: "2 photos, 1 text".
func summary(parts []store.PartMeta) string {
	var photos, texts, sounds, videos, other int
	for _, p := range parts {
		switch kindOf(p.ContentType) {
		case kindImage:
			photos++
		case kindText:
			texts++
		case kindAudio:
			sounds++
		case kindVideo:
			videos++
		case kindSMIL:
		default:
			other++
		}
	}
	var out []string
	for _, c := range []struct {
		n         int
		one, many string
	}{{photos, "photo", "photos"}, {videos, "video", "videos"}, {sounds, "sound", "sounds"}, {texts, "text", "texts"}, {other, "file", "files"}} {
		switch {
		case c.n == 1:
			out = append(out, "1 "+c.one)
		case c.n > 1:
			out = append(out, strconv.Itoa(c.n)+" "+c.many)
		}
	}
	return strings.Join(out, ", ")
}

func (h *Handler) seenAll(w http.ResponseWriter, r *http.Request) {
	if err := h.cfg.Store.MarkAllSeen(); err != nil {
		h.log.Error("inbox: mark all seen", "err", err)
		h.fail(w, r, http.StatusInternalServerError, "Could not mark the messages seen: "+err.Error())
		return
	}
	http.Redirect(w, r, backTo(r), http.StatusSeeOther)
}

// backTo is where a form posted from the conversations or the messages
// page returns: its "back" field, when it names one of them.
func backTo(r *http.Request) string {
	if b := r.PostFormValue("back"); b == "/messages" {
		return b
	}
	return "/"
}
