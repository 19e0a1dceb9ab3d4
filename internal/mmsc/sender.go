package mmsc

import (
	"crypto/subtle"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/store"
)

// Sender sources, as recorded in store.Sender.Source.
const (
	SourceToken = "token" // the phone's URL token: the only proof of identity
	SourceFrom  = "from"  // the From address in the PDU: what the phone claims
	SourceQuery = "query" // ?n= on the open endpoint: what the URL claims
	SourceNone  = "none"  // nothing (stored only when Config.Anonymous is set)
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

// phoneTable finds phones by token in constant time per phone, so the
// time to refuse a token says nothing about how much of it was right.
type phoneTable struct{ phones []Phone }

func (t phoneTable) byToken(tok string) (Phone, bool) {
	var found Phone
	ok := 0
	for _, p := range t.phones {
		if subtle.ConstantTimeCompare([]byte(p.Token), []byte(tok)) == 1 {
			found, ok = p, 1
		}
	}
	return found, ok == 1
}

func (t phoneTable) nameOf(number string) string {
	for _, p := range t.phones {
		if p.Number == number {
			return p.Name
		}
	}
	return ""
}

// identify applies the sender identity order: URL token, then the PDU's
// From address, then ?n= (open endpoint only; already validated).
func (t phoneTable) identify(phone *Phone, msg *mms.Message, n string) (store.Sender, bool) {
	if phone != nil {
		return store.Sender{Number: phone.Number, Name: phone.Name, Source: SourceToken}, true
	}
	if addr, ok := fromAddress(msg.From); ok {
		return store.Sender{Number: addr, Name: t.nameOf(addr), Source: SourceFrom}, true
	}
	if n != "" {
		return store.Sender{Number: n, Name: t.nameOf(n), Source: SourceQuery}, true
	}
	return store.Sender{Source: SourceNone}, false
}

// fromAddress returns the sender the PDU names in From (a phone number
// without "/TYPE=PLMN" and separators, or the address as sent), or false
// when From is absent, is the insert-address token, or is not a plausible
// address.
func fromAddress(a mms.Address) (string, bool) {
	if a.Insert {
		return "", false
	}
	s, ok := a.Number()
	if !ok {
		s = strings.TrimSpace(a.String())
	}
	if s == "" || len(s) > maxAddrLen || !printable(s) {
		return "", false
	}
	return s, true
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
