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
	numbers  map[string]bool
	defSize  int // Config.PageSize: links leave it out
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
// name, so a search for "Anna" finds messages recorded before Anna's
// phone had that name.
func (h *Handler) numbersNamed(name string) map[string]bool {
	set := map[string]bool{}
	if h.cfg.Phones == nil {
		return set
	}
	for _, p := range h.cfg.Phones.List() {
		if containsFold(p.Name, name) {
			set[phones.Normalize(p.Number)] = true
		}
	}
	return set
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
	if s.Sender != "" && !containsFold(m.Sender.Number, s.Sender) && !containsFold(m.Sender.Name, s.Sender) &&
		!s.numbers[phones.Normalize(m.Sender.Number)] {
		return false
	}
	return true
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
		return "/"
	}
	return "/?" + v.Encode()
}

// row is one message in the list.
type row struct {
	ID, From, Number, Subject, Summary string
	Time                               string
	Synced, Seen                       bool
	Thumbs                             template.HTML // the <img> elements, see thumbsHTML
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
	names := h.phoneNames()
	for i := range page {
		v.Rows[i] = h.row(&page[i], names)
	}
	if s.Page > 1 {
		v.Prev = s.link(s.Page - 1)
	}
	if s.Page < v.Pages {
		v.Next = s.link(s.Page + 1)
	}
	h.render(w, r, http.StatusOK, "list", view{Title: "Inbox", Nav: "inbox", Data: v})
}

// phoneNames maps the registry's numbers to names, once per page.
func (h *Handler) phoneNames() map[string]string {
	names := map[string]string{}
	if h.cfg.Phones != nil {
		for _, p := range h.cfg.Phones.List() {
			names[phones.Normalize(p.Number)] = p.Name
		}
	}
	return names
}

func (h *Handler) row(m *store.Meta, names map[string]string) row {
	rw := row{
		ID: m.ID, Number: m.Sender.Number, Subject: m.Subject, Seen: m.Seen, Synced: m.ClockSynced,
		From: senderName(m, names), Time: m.Received.Local().Format("2006-01-02 15:04"),
		Summary: summary(m.Parts),
	}
	rw.Thumbs = thumbsHTML(m)
	return rw
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

// senderName is the phone's current name when the number is paired, the
// name recorded at receipt, else the number.
func senderName(m *store.Meta, names map[string]string) string {
	if n := names[phones.Normalize(m.Sender.Number)]; n != "" && m.Sender.Number != "" {
		return n
	}
	if m.Sender.Name != "" {
		return m.Sender.Name
	}
	if m.Sender.Number != "" {
		return m.Sender.Number
	}
	return "unknown sender"
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
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
