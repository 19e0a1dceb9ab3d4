package inbox

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/homemmsc/homemmsc/internal/store"
)

// bubble is one message of a thread.
type bubble struct {
	ID, Time, Full    string // short; complete for the tooltip
	Subject           string
	From              person
	Synced, Ours, New bool
	Images            []partView // shown inline (WBMP converted)
	Texts             []partView // shown, cut at bubbleText
	Files             []partView // named downloads: audio, video and the rest
	Unreadable        bool       // the PDU does not decode: the message page says more
}

type threadView struct {
	Key, Back  string
	With       []person
	Bubbles    []bubble // oldest first
	Total      int
	Prev, Next string // older / newer pages
}

// thread shows the messages of one conversation in time order, a page
// of the newest first; showing a message marks it seen, as opening it
// does.
func (h *Handler) thread(w http.ResponseWriter, r *http.Request) {
	key := r.URL.Query().Get("with")
	pg, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || pg < 1 {
		pg = 1
	}
	k := h.newKeyer(strings.Split(key, ",")...) // the key's own forms come first: they are what it says
	page, total := h.cfg.Store.Query(store.Query{Offset: (pg - 1) * threadPage, Limit: threadPage,
		Match: func(s store.Summary) bool { c, _ := k.of(s.Sender, s.To()); return c == key }})
	if total == 0 {
		h.fail(w, r, http.StatusNotFound, "No conversation with them (its messages may have been deleted).")
		return
	}
	v := threadView{Key: key, With: h.correspondents(key), Total: total, Back: "/"}
	slices.Reverse(page)
	for i := range page {
		v.Bubbles = append(v.Bubbles, h.bubble(&page[i], k))
	}
	if pg*threadPage < total {
		v.Prev = threadURL(key, pg+1)
	}
	if pg > 1 {
		v.Next = threadURL(key, pg-1)
	}
	h.render(w, r, http.StatusOK, "thread", view{Title: names(v.With), Nav: "inbox", Data: v})
}

func (h *Handler) bubble(m *store.Meta, k *keyer) bubble {
	_, ours := k.of(m.Sender, m.To)
	b := bubble{ID: m.ID, Time: shortTime(m.Received, h.now()), Full: m.Received.Local().Format("2006-01-02 15:04"), Subject: m.Subject,
		From: h.senderOf(m.Sender), Synced: m.ClockSynced, Ours: ours, New: !m.Seen}
	_, msg, err := h.readPDU(m.ID)
	if err != nil {
		b.Unreadable = true
		return b
	}
	ls, _ := smilOrder(leaves(*m, msg))
	for _, l := range ls {
		pv := partViewOf(m.ID, l)
		switch kindOf(pv.Type) {
		case kindImage:
			b.Images = append(b.Images, pv)
		case kindText:
			if len(pv.Text) > bubbleText {
				pv.Text, pv.TextCut = strings.ToValidUTF8(pv.Text[:bubbleText], ""), true
			}
			b.Texts = append(b.Texts, pv)
		case kindSMIL: // the layout, not content
		default:
			b.Files = append(b.Files, pv)
		}
	}
	if !m.Seen {
		if err := h.cfg.Store.SetSeen(m.ID, true); err != nil {
			h.log.Warn("inbox: mark seen", "id", m.ID, "err", err)
		}
	}
	return b
}

// names joins the names of people: "Anna, Ben".
func names(ps []person) string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	return strings.Join(out, ", ")
}
