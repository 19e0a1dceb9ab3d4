package mmsc

import (
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/phones"
	"github.com/homemmsc/homemmsc/internal/store"
)

// Sender sources, as recorded in store.Sender.Source.
const (
	SourceToken = store.SourceToken // the phone's URL token: the only proof of identity
	SourceFrom  = store.SourceFrom  // the From address in the PDU: what the phone claims
	SourceQuery = store.SourceQuery // ?n= on the open endpoint: what the URL claims
	SourceNone  = store.SourceNone  // nothing (stored only when Config.Anonymous is set)
)

// Limits of what we copy from a request into the store's metadata.
const (
	maxAddrLen = 128 // a From address longer than this is not used
	maxHintLen = 256 // header hints are cut here
)

// hintHeaders are the request headers that say which phone posted. They
// are recorded with the message (lower-case keys) and never trusted: any
// client can send them. The MSISDN ones are set by some operators' WAP
// gateways, which a phone posting to us over the internet never passes.
var hintHeaders = [...]string{
	"User-Agent",
	"X-Wap-Profile",
	"Profile",
	"X-Mdn",
	"X-Up-Calling-Line-Id",
	"X-Wap-Network-Client-Msisdn",
}

// identify applies the sender identity order: URL token, then the PDU's
// From address, then ?n= (open endpoint only; already validated). Only a
// token-proven sender gets a name: a claimed number that belongs to a
// paired phone is still only a claim, and is shown as one.
func identify(phone *phones.Phone, msg *mms.Message, n string) (store.Sender, bool) {
	if phone != nil {
		return store.Sender{Number: phone.Number, Name: phone.Name, Source: SourceToken}, true
	}
	if addr, ok := fromAddress(msg.From); ok {
		return store.Sender{Number: addr, Source: SourceFrom}, true
	}
	if n != "" {
		return store.Sender{Number: n, Source: SourceQuery}, true
	}
	return store.Sender{Source: SourceNone}, false
}

// visit is what the phone registry records of a phone's request.
func visit(r *http.Request, what string, now time.Time) phones.Visit {
	profile := r.Header.Get("X-Wap-Profile")
	if profile == "" {
		profile = r.Header.Get("Profile")
	}
	return phones.Visit{
		Time: now, Remote: r.RemoteAddr, What: what,
		UserAgent: clean(r.Header.Get("User-Agent")), Profile: clean(profile),
	}
}

// fromAddress returns the sender the PDU names in From (mms.Address.Sender:
// a phone number, an IPv4 or IPv6 address, or an e-mail address, without
// its /TYPE= suffix), or false when From is absent, is the insert-address
// token, is not one of those (free text such as "<b>Anna</b>" is never a
// sender), or is too long or unprintable to keep.
func fromAddress(a mms.Address) (string, bool) {
	s := strings.TrimSpace(a.String())
	if s == "" || len(s) > maxAddrLen || !printable(s) {
		return "", false
	}
	return a.Sender()
}

// hints collects the identifying request headers, plus the PDU's own From
// when it was not what identified the sender.
func hints(r *http.Request, msg *mms.Message, sender store.Sender) map[string]string {
	h := make(map[string]string)
	for _, name := range hintHeaders {
		if v := r.Header.Get(name); v != "" {
			h[strings.ToLower(name)] = clean(v)
		}
	}
	if msg != nil && sender.Source != SourceFrom {
		if msg.From.Insert {
			h["pdu-from"] = "insert-address-token"
		} else if v := msg.From.Value.Text(); v != "" {
			h["pdu-from"] = clean(v)
		}
	}
	return h
}

// printable reports whether s is valid UTF-8 without control characters:
// what clean leaves as it is.
func printable(s string) bool {
	return clean(s) == s && !strings.ContainsRune(s, utf8.RuneError)
}

// clean makes a header value safe to keep and show: valid UTF-8, control
// characters replaced, at most maxHintLen bytes.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7F || (r >= 0x80 && r < 0xA0) {
			return '?'
		}
		return r
	}, s)
	if len(s) > maxHintLen {
		s = s[:maxHintLen]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return s
}
