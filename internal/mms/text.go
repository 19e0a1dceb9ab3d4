package mms

import (
	"bytes"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/ianaindex"
)

// Text returns the string as UTF-8, converted from its charset. Octets that
// are not valid in the charset become U+FFFD. Text without a charset, and
// US-ASCII text (which phones fill with UTF-8), is taken as UTF-8. A
// charset the codec cannot convert is also taken as UTF-8.
func (s EncodedString) Text() string {
	switch s.Charset {
	case 0, CharsetUSASCII, CharsetUTF8:
		return validUTF8(s.Raw)
	case CharsetLatin1:
		return latin1(s.Raw)
	case CharsetUTF16, CharsetUCS2:
		return utf16Text(s.Raw, true)
	case 1013: // UTF-16BE
		return utf16Text(s.Raw, false)
	case 1014: // UTF-16LE
		return utf16LE(s.Raw)
	}
	if enc := charsetEncoding(s.Charset); enc != nil {
		if out, err := enc.NewDecoder().Bytes(s.Raw); err == nil {
			return validUTF8(out)
		}
	}
	return validUTF8(s.Raw)
}

// String returns Text.
func (s EncodedString) String() string { return s.Text() }

// validUTF8 returns b without a leading byte-order mark, with invalid
// octets replaced by U+FFFD.
func validUTF8(b []byte) string {
	b = bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

func latin1(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b))
	for _, c := range b {
		sb.WriteRune(rune(c))
	}
	return sb.String()
}

// utf16Text decodes UTF-16 with an optional byte-order mark; without one
// it is big-endian (RFC 2781 §4.3).
func utf16Text(b []byte, bom bool) string {
	if bom && len(b) >= 2 {
		switch {
		case b[0] == 0xFE && b[1] == 0xFF:
			b = b[2:]
		case b[0] == 0xFF && b[1] == 0xFE:
			return utf16LE(b[2:])
		}
	}
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
	}
	return utf16String(u, len(b)%2 == 1)
}

func utf16LE(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		u = append(u, uint16(b[i+1])<<8|uint16(b[i]))
	}
	return utf16String(u, len(b)%2 == 1)
}

func utf16String(u []uint16, odd bool) string {
	s := string(utf16.Decode(u))
	if odd {
		s += "\uFFFD"
	}
	return s
}

// charsetEncoding returns the x/text decoder for a charset, or nil.
func charsetEncoding(c Charset) encoding.Encoding {
	name, ok := charsets[c]
	if !ok {
		return nil
	}
	enc, err := ianaindex.IANA.Encoding(name)
	if err != nil {
		return nil
	}
	return enc
}

// String returns the address as text, e.g. "+15551234567/TYPE=PLMN", or
// "" for an insert-address token.
func (a Address) String() string { return a.Value.Text() }

// AddressKind is the kind of an address (OMA-MMS-ENC §8, address
// encoding): a phone number, an IP address or an e-mail address.
type AddressKind byte

// Address kinds.
const (
	KindUnknown AddressKind = iota // empty, or a /TYPE= the codec does not know
	KindPLMN                       // "+15551234567/TYPE=PLMN"
	KindIPv4                       // "192.0.2.1/TYPE=IPv4"
	KindIPv6                       // "2001:db8::1/TYPE=IPv6"
	KindEmail                      // "a@example.org" (no /TYPE=)
	KindInsert                     // the From insert-address token: the MMSC fills it in
)

func (k AddressKind) String() string {
	switch k {
	case KindPLMN:
		return "PLMN"
	case KindIPv4:
		return "IPv4"
	case KindIPv6:
		return "IPv6"
	case KindEmail:
		return "email"
	case KindInsert:
		return "insert"
	}
	return "unknown"
}

// Kind returns the kind of the address by its /TYPE= suffix; an address
// without one that contains '@' is an e-mail address.
func (a Address) Kind() AddressKind {
	if a.Insert {
		return KindInsert
	}
	s := a.String()
	i := strings.LastIndex(s, "/")
	if i < 0 || !hasPrefixFold(s[i+1:], "TYPE=") {
		if strings.Contains(s, "@") {
			return KindEmail
		}
		return KindUnknown
	}
	switch strings.ToUpper(s[i+len("/TYPE="):]) {
	case "PLMN":
		return KindPLMN
	case "IPV4":
		return KindIPv4
	case "IPV6":
		return KindIPv6
	}
	return KindUnknown
}

// Number returns the phone number of a /TYPE=PLMN address: an optional
// leading '+' and digits, with the separators phones put in ('-', '.',
// ' ', '(' and ')') removed. It reports false for any other address.
func (a Address) Number() (string, bool) {
	if a.Kind() != KindPLMN {
		return "", false
	}
	s := a.String()
	s = s[:strings.LastIndex(s, "/")]
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		case c == '+' && b.Len() == 0:
			b.WriteByte(c)
		case c == '-' || c == '.' || c == ' ' || c == '(' || c == ')':
		default:
			return "", false
		}
	}
	n := b.String()
	if n == "" || n == "+" {
		return "", false
	}
	return n, true
}

// PLMN returns the address of a phone number: "+15551234567/TYPE=PLMN".
func PLMN(number string) Address {
	return Address{Value: EncodedString{Raw: []byte(number + "/TYPE=PLMN")}}
}

// Text returns an EncodedString holding s, in UTF-8 when it is not plain
// ASCII.
func Text(s string) EncodedString {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return EncodedString{Charset: CharsetUTF8, Raw: []byte(s)}
		}
	}
	return EncodedString{Raw: nilIfEmpty([]byte(s))}
}

func hasPrefixFold(s, p string) bool { return len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) }

var typeNames = [...]string{
	"m-send-req", "m-send-conf", "m-notification-ind", "m-notifyresp-ind",
	"m-retrieve-conf", "m-acknowledge-ind", "m-delivery-ind", "m-read-rec-ind",
	"m-read-orig-ind", "m-forward-req", "m-forward-conf", "m-mbox-store-req",
	"m-mbox-store-conf", "m-mbox-view-req", "m-mbox-view-conf", "m-mbox-upload-req",
	"m-mbox-upload-conf", "m-mbox-delete-req", "m-mbox-delete-conf", "m-mbox-descr",
	"m-delete-req", "m-delete-conf", "m-cancel-req", "m-cancel-conf",
}

// String returns the name the spec gives the type, e.g. "m-send-req", or
// its value in hex.
func (t MessageType) String() string {
	if t >= 0x80 && int(t-0x80) < len(typeNames) {
		return typeNames[t-0x80]
	}
	return hexByte(byte(t))
}

// String returns "major.minor", e.g. "1.2".
func (v Version) String() string { return versionText(byte(v) & 0x7F) }

// String returns the status's name as in OMA-MMS-ENC §7.3.48, e.g. "Ok".
func (s ResponseStatus) String() string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return hexByte(byte(s))
}

var statusNames = map[ResponseStatus]string{
	StatusOk:                              "Ok",
	StatusErrUnspecified:                  "Error-unspecified",
	StatusErrServiceDenied:                "Error-service-denied",
	StatusErrMessageFormatCorrupt:         "Error-message-format-corrupt",
	StatusErrSendingAddressUnresolved:     "Error-sending-address-unresolved",
	StatusErrMessageNotFound:              "Error-message-not-found",
	StatusErrNetworkProblem:               "Error-network-problem",
	StatusErrContentNotAccepted:           "Error-content-not-accepted",
	StatusErrUnsupportedMessage:           "Error-unsupported-message",
	StatusTransientFailure:                "Error-transient-failure",
	StatusTransientSendingAddrUnresolved:  "Error-transient-sending-address-unresolved",
	StatusTransientMessageNotFound:        "Error-transient-message-not-found",
	StatusTransientNetworkProblem:         "Error-transient-network-problem",
	StatusTransientPartialSuccess:         "Error-transient-partial-success",
	StatusPermanentFailure:                "Error-permanent-failure",
	StatusPermanentServiceDenied:          "Error-permanent-service-denied",
	StatusPermanentMessageFormatCorrupt:   "Error-permanent-message-format-corrupt",
	StatusPermanentSendingAddrUnresolved:  "Error-permanent-sending-address-unresolved",
	StatusPermanentMessageNotFound:        "Error-permanent-message-not-found",
	StatusPermanentContentNotAccepted:     "Error-permanent-content-not-accepted",
	StatusPermanentReplyChargingLimits:    "Error-permanent-reply-charging-limitations-not-met",
	StatusPermanentReplyChargingRequest:   "Error-permanent-reply-charging-request-not-accepted",
	StatusPermanentReplyChargingForwarded: "Error-permanent-reply-charging-forwarding-denied",
	StatusPermanentReplyChargingNotSupp:   "Error-permanent-reply-charging-not-supported",
	StatusPermanentAddressHidingNotSupp:   "Error-permanent-address-hiding-not-supported",
	StatusPermanentLackOfPrepaid:          "Error-permanent-lack-of-prepaid",
}

func hexByte(b byte) string {
	const hex = "0123456789ABCDEF"
	return "0x" + string(hex[b>>4]) + string(hex[b&0xF])
}

// Filename returns the name the sender gave the part, for display: the
// Content-Disposition filename, else the Content-Type name, else the
// Content-Location, else the Content-ID without <>. It is metadata from
// the PDU and may hold anything, "../" included: never use it as a path.
func (p *Part) Filename() string {
	if v, ok := paramValue(p.DispositionParams, "filename"); ok && v != "" {
		return v
	}
	if v, ok := p.ContentType.Param("name"); ok && v != "" {
		return v
	}
	if p.ContentLocation != "" {
		return p.ContentLocation
	}
	return strings.TrimSuffix(strings.TrimPrefix(p.ContentID, "<"), ">")
}

func paramValue(ps []Param, name string) (string, bool) {
	for _, p := range ps {
		if p.Name == name {
			return p.Value, true
		}
	}
	return "", false
}

// Text returns the data of a text part as UTF-8, converted from the
// charset parameter (UTF-8 when there is none or it is unknown).
func (p *Part) Text() string {
	cs := CharsetUTF8
	if name, ok := p.ContentType.Param("charset"); ok {
		if c, ok := charsetByName(lowerASCII(name)); ok {
			cs = c
		}
	}
	return EncodedString{Charset: cs, Raw: p.Data}.Text()
}
