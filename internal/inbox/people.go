package inbox

import (
	"time"

	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/phones"
	"github.com/homemmsc/homemmsc/internal/store"
)

// person is a sender or a recipient as the pages show them.
type person struct {
	Name    string // the paired phone's name, else the address
	Address string // the address, when Name is a phone's name
	Claimed bool   // only the request says so: no paired phone's token proved it
}

// bareAddress is an MMS address as people write it: without the
// "/TYPE=PLMN" (IPv4, IPv6) suffix of OMA-MMS-ENC §8.
func bareAddress(a string) string { return mms.BareAddress(a) }

// senderOf is how the inbox shows a message's sender. A paired phone's
// name is shown only for a message its token proved (with the name it
// has now); a sender the PDU's From or ?n= gave is shown as the address,
// marked claimed, even when a paired phone has that number.
func (h *Handler) senderOf(s store.Sender) person {
	addr := bareAddress(s.Number)
	switch {
	case !s.Proven() && addr != "" && mms.ValidSender(addr):
		return person{Name: addr, Claimed: true}
	case !s.Proven(): // nothing, or free text an older version took from a PDU's From
		return person{Name: "unknown sender"}
	}
	name := s.Name
	if p, ok := h.phoneByNumber(addr); ok {
		name = p.Name
	}
	if name == "" {
		return person{Name: addr}
	}
	return person{Name: name, Address: addr}
}

// recipientOf is a To address: named when a paired phone has the number
// (numbers match as the registry matches them: phones.SameNumber).
func (h *Handler) recipientOf(addr string) person {
	addr = bareAddress(addr)
	if p, ok := h.phoneByNumber(addr); ok {
		return person{Name: p.Name, Address: addr}
	}
	return person{Name: addr}
}

func (h *Handler) phoneByNumber(number string) (phones.Phone, bool) {
	if h.cfg.Phones == nil || phones.Normalize(number) == "" {
		return phones.Phone{}, false
	}
	return h.cfg.Phones.ByNumber(number)
}

// recipients are a message's To addresses as shown.
func (h *Handler) recipients(to []string) []person {
	out := make([]person, len(to))
	for i, a := range to {
		out[i] = h.recipientOf(a)
	}
	return out
}

// shortTime is a time in a list row, short enough to leave a phone's
// screen to the sender: "15:04" today, "14 Mar" this year, else the date.
func shortTime(t, now time.Time) string {
	t, now = t.Local(), now.Local()
	switch {
	case t.YearDay() == now.YearDay() && t.Year() == now.Year():
		return t.Format("15:04")
	case t.Year() == now.Year():
		return t.Format("2 Jan")
	}
	return t.Format(dateForm)
}
