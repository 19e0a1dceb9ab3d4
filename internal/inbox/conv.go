package inbox

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/phones"
	"github.com/homemmsc/homemmsc/internal/store"
)

// Conversations group the messages by correspondent, the way a phone's
// messaging app shows threads. A message a paired phone proved it sent
// (store.Sender.Proven) is the household's: its correspondents are its
// To addresses (all of them together: a group). Any other message is
// from its sender, claimed or not. Numbers are matched as the phone
// registry matches them (phones.SameNumber), so "07700 900123" and
// "+447700900123" are one correspondent.
const (
	maxConversations = 500 // listed; older ones are in the flat list
	threadPage       = 30  // messages per page of a thread
	bubbleText       = 2000
	previewReads     = 50 // conversations whose last message's text is read for the preview
	previewRunes     = 120
	unknownKey       = "?" // no address is "?"
)

// keyer turns addresses into conversation keys. It remembers the forms
// of the numbers it has seen, so every form of one number gets the key
// of the first (a paired phone's own form when it is one). It calls
// nothing that locks, so it can run inside a store Query's Match.
type keyer struct {
	known []string          // normalised numbers, each one a key
	memo  map[string]string // address -> key
}

func (h *Handler) newKeyer(first ...string) *keyer {
	k := &keyer{memo: map[string]string{}}
	k.known = append(k.known, first...)
	if h.cfg.Phones != nil {
		for _, p := range h.cfg.Phones.List() {
			k.known = append(k.known, phones.Normalize(p.Number))
		}
	}
	return k
}

// address returns the key of one address: a number's first-seen form,
// or the lower-case address when it is not a number (e-mail, IP).
func (k *keyer) address(a string) string {
	if key, ok := k.memo[a]; ok {
		return key
	}
	bare := strings.TrimSpace(bareAddress(a))
	key := phones.Normalize(bare)
	switch i := slices.IndexFunc(k.known, func(n string) bool { return phones.SameNumber(n, key) }); {
	case key == "":
		key = strings.ToLower(bare)
	case i >= 0:
		key = k.known[i]
	default:
		k.known = append(k.known, key)
	}
	k.memo[a] = key
	return key
}

// of returns the conversation key of a message and whether the message
// is the household's own: its correspondents' keys, sorted, joined by
// ",". A household message to nobody else has the key "", a message
// from nobody at all unknownKey.
func (k *keyer) of(sender store.Sender, to []string) (key string, ours bool) {
	switch {
	case !sender.Proven() && (sender.Number == "" || !mms.ValidSender(sender.Number)):
		return unknownKey, false
	case !sender.Proven():
		return k.address(sender.Number), false
	}
	self := k.address(sender.Number)
	var keys []string
	for _, a := range to {
		if c := k.address(a); c != self && c != "" && !slices.Contains(keys, c) {
			keys = append(keys, c)
		}
	}
	slices.Sort(keys)
	return strings.Join(keys, ","), true
}

// conversation is one row of the conversations page.
type conversation struct {
	Key, URL       string
	With           []person
	Count, Unread  int
	Time, Full     string // short; complete for the tooltip
	Preview        string
	Synced, Ours   bool
	LastFrom       person
	LastHasSubject bool
}

type conversationsView struct {
	Rows   []*conversation
	More   bool // more conversations than listed
	Total  int  // messages
	Unread int
}

// conversations is the inbox's first page: one row per correspondent,
// the most recent first, with the message count, the unread count and
// the last message. One pass over the store's index counts; only the
// newest message of each conversation is read from the journal.
func (h *Handler) conversations(w http.ResponseWriter, r *http.Request) {
	k := h.newKeyer()
	byKey := map[string]*conversation{}
	// A household has few distinct senders and recipients: key each
	// once, not each of thousands of messages (To splits, of joins).
	type parties struct {
		sender store.Sender
		to     string
	}
	keys := map[parties]string{}
	var v conversationsView
	page, _ := h.cfg.Store.Query(store.Query{Limit: maxConversations, Match: func(s store.Summary) bool {
		p := parties{s.Sender, s.ToLines()}
		key, ok := keys[p]
		if !ok {
			key, _ = k.of(s.Sender, s.To())
			keys[p] = key
		}
		c := byKey[key]
		first := c == nil
		if first {
			c = &conversation{Key: key}
			byKey[key] = c
		}
		c.Count++
		v.Total++
		if !s.Seen {
			c.Unread++
			v.Unread++
		}
		return first
	}})
	v.More = len(byKey) > maxConversations
	for i := range page {
		m := &page[i]
		key, ours := k.of(m.Sender, m.To)
		c := byKey[key]
		h.fillConversation(c, m, ours, i < previewReads)
		v.Rows = append(v.Rows, c)
	}
	h.render(w, r, http.StatusOK, "conversations", view{Title: "Conversations", Nav: "inbox", Data: v})
}

func (h *Handler) fillConversation(c *conversation, m *store.Meta, ours, read bool) {
	c.URL = threadURL(c.Key, 1)
	c.With = h.correspondents(c.Key)
	c.Time, c.Full = shortTime(m.Received, h.now()), m.Received.Local().Format("2006-01-02 15:04")
	c.Synced, c.Ours = m.ClockSynced, ours
	c.LastFrom = h.senderOf(m.Sender)
	c.Preview, c.LastHasSubject = m.Subject, m.Subject != ""
	if c.Preview == "" && read {
		c.Preview, c.LastHasSubject = h.textPreview(m), true
	}
	if c.Preview == "" {
		c.Preview, c.LastHasSubject = summary(m.Parts), false
	}
}

// textPreview is the start of a message's first text part on one line,
// or "" when it has none (or cannot be read): what a phone's messaging
// app shows of a message without a subject.
func (h *Handler) textPreview(m *store.Meta) string {
	if !slices.ContainsFunc(m.Parts, func(p store.PartMeta) bool { return kindOf(p.ContentType) == kindText }) {
		return "" // nothing to read the PDU for
	}
	_, msg, err := h.readPDU(m.ID)
	if err != nil {
		return ""
	}
	for _, l := range leaves(*m, msg) {
		if kindOf(l.Part.ContentType.MediaType) == kindText {
			t := strings.Join(strings.Fields(l.Part.Text()), " ")
			if r := []rune(t); len(r) > previewRunes {
				t = string(r[:previewRunes]) + "…"
			}
			return t
		}
	}
	return ""
}

// correspondents names the people of a conversation from its key:
// named when a paired phone has the number. Whether a message in it was
// claimed is said with the message.
func (h *Handler) correspondents(key string) []person {
	switch key {
	case "":
		return []person{{Name: "no other recipient"}}
	case unknownKey:
		return []person{{Name: "unknown sender"}}
	}
	var out []person
	for _, c := range strings.Split(key, ",") {
		out = append(out, h.recipientOf(c))
	}
	return out
}

func threadURL(key string, page int) string {
	v := url.Values{"with": {key}}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	return "/thread?" + v.Encode()
}
