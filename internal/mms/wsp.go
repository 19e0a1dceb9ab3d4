package mms

import (
	"bytes"
	"math"
	"time"
)

// WSP primitive types (WAP-230-WSP §8.1.2 and §8.4.2). Readers take the
// remaining input and return the value and what follows it; appenders append
// the encoding to dst.

const (
	lengthQuote = 31   // Length-quote: a uintvar length follows
	textQuote   = 0x7F // Quote before a Text-string whose first octet is ≥ 0x80
	quotedMark  = '"'  // first octet of a Quoted-string
)

// readUintvar reads a variable-length unsigned integer (§8.1.2): seven bits
// per octet, most significant first, the high bit set on all but the last
// octet. At most 5 octets and 32 bits.
func readUintvar(p []byte) (uint32, []byte, error) {
	var v uint64
	for i := 0; i < 5; i++ {
		if i >= len(p) {
			return 0, p, errorf(ErrTruncated, "uintvar")
		}
		c := p[i]
		v = v<<7 | uint64(c&0x7F)
		if c&0x80 == 0 {
			if v > math.MaxUint32 {
				return 0, p, errorf(ErrMalformed, "uintvar exceeds 32 bits")
			}
			return uint32(v), p[i+1:], nil
		}
	}
	return 0, p, errorf(ErrMalformed, "uintvar longer than 5 octets")
}

// ReadUintvar reads a uintvar for other WAP formats that use it (the
// WBMP image header's multi-byte integers, WAP-237-WAEMT §5).
func ReadUintvar(p []byte) (uint32, []byte, error) { return readUintvar(p) }

// AppendUintvar appends v as a uintvar (WAP-230-WSP §8.1.2), for other
// code that builds WSP bytes by hand (hostile PDUs in tests, WAP push).
func AppendUintvar(dst []byte, v uint32) []byte { return appendUintvar(dst, v) }

func appendUintvar(dst []byte, v uint32) []byte {
	var tmp [5]byte
	i := len(tmp) - 1
	tmp[i] = byte(v & 0x7F)
	for v >>= 7; v != 0; v >>= 7 {
		i--
		tmp[i] = byte(v&0x7F) | 0x80
	}
	return append(dst, tmp[i:]...)
}

// readValueLength reads a Value-length (§8.4.2.2): a Short-length 0–30, or
// Length-quote (31) and a uintvar. It returns the value's octets and what
// follows them.
func readValueLength(p []byte) (val, rest []byte, err error) {
	if len(p) == 0 {
		return nil, p, errorf(ErrTruncated, "value-length")
	}
	var n uint32
	switch c := p[0]; {
	case c < lengthQuote:
		n, p = uint32(c), p[1:]
	case c == lengthQuote:
		if n, p, err = readUintvar(p[1:]); err != nil {
			return nil, p, err
		}
	default:
		return nil, p, errorf(ErrMalformed, "value-length expected, got 0x%02X", c)
	}
	if uint64(n) > uint64(len(p)) {
		return nil, p, errorf(ErrTruncated, "value of %d octets, %d left", n, len(p))
	}
	return p[:n], p[n:], nil
}

func appendValueLength(dst []byte, n int) []byte {
	if n < lengthQuote {
		return append(dst, byte(n))
	}
	return appendUintvar(append(dst, lengthQuote), uint32(n))
}

// appendWithLength appends a Value-length and then the octets body appends.
// The body is built in place and moved once its length is known.
func appendWithLength(dst []byte, body func([]byte) ([]byte, error)) ([]byte, error) {
	start := len(dst)
	dst, err := body(dst)
	if err != nil {
		return dst, err
	}
	n := len(dst) - start
	var hdr [6]byte
	h := appendValueLength(hdr[:0], n)
	dst = append(dst, h...) // grow by len(h)
	copy(dst[start+len(h):], dst[start:start+n])
	copy(dst[start:], h)
	return dst, nil
}

// valueExtent returns the octets of one header value by the generic rule of
// §8.4.1.2, which lets a decoder skip a header it does not know: 0–30 is a
// Short-length, 31 a Length-quote and uintvar, 32–127 a text ending in NUL,
// 128–255 a one-octet Short-integer.
func valueExtent(p []byte) (val, rest []byte, err error) {
	if len(p) == 0 {
		return nil, p, errorf(ErrTruncated, "header value")
	}
	switch c := p[0]; {
	case c <= lengthQuote:
		_, rest, err := readValueLength(p)
		if err != nil {
			return nil, p, err
		}
		return p[:len(p)-len(rest)], rest, nil
	case c < 0x80:
		i := bytes.IndexByte(p, 0)
		if i < 0 {
			return nil, p, errorf(ErrTruncated, "text without end-of-string")
		}
		if i > MaxString {
			return nil, p, errorf(ErrTooLarge, "text of %d octets", i)
		}
		return p[:i+1], p[i+1:], nil
	default:
		return p[:1], p[1:], nil
	}
}

// readText reads a Text-string (§8.4.2.1): octets up to NUL, without the
// 0x7F quote that precedes text starting with an octet ≥ 0x80. If the input
// ends without a NUL the text runs to its end only when lenient is set.
func readText(p []byte, lenient bool) ([]byte, []byte, error) {
	i := bytes.IndexByte(p, 0)
	var s, rest []byte
	switch {
	case i >= 0:
		s, rest = p[:i], p[i+1:]
	case lenient:
		s, rest = p, p[len(p):]
	default:
		return nil, p, errorf(ErrTruncated, "text without end-of-string")
	}
	if len(s) > MaxString {
		return nil, p, errorf(ErrTooLarge, "text of %d octets", len(s))
	}
	if len(s) > 0 && s[0] == textQuote {
		s = s[1:]
	}
	return nilIfEmpty(s), rest, nil
}

// appendText appends a Text-string, quoted with 0x7F when its first octet
// is ≥ 0x7F or a control octet.
func appendText(dst, s []byte) ([]byte, error) {
	if bytes.IndexByte(s, 0) >= 0 {
		return dst, errorf(ErrInvalid, "NUL inside text %q", s)
	}
	if len(s) > MaxString {
		return dst, errorf(ErrInvalid, "text of %d octets exceeds MaxString", len(s))
	}
	if len(s) > 0 && (s[0] >= textQuote || s[0] < 32) {
		// The Quote is defined for text starting at 0x80 or above; it
		// also keeps text starting with a control octet from being read
		// as a length, and decoders drop it either way.
		dst = append(dst, textQuote)
	}
	dst = append(dst, s...)
	return append(dst, 0), nil
}

func appendTextString(dst []byte, s string) ([]byte, error) {
	return appendText(dst, []byte(s))
}

// readToken reads a Token-text: text up to NUL, no quote processing.
func readToken(p []byte) (string, []byte, error) {
	i := bytes.IndexByte(p, 0)
	if i < 0 {
		return "", p, errorf(ErrTruncated, "token without end-of-string")
	}
	if i > MaxString {
		return "", p, errorf(ErrTooLarge, "token of %d octets", i)
	}
	return string(p[:i]), p[i+1:], nil
}

// appendToken appends a Token-text; its first octet must be 32–126 so that
// it cannot be mistaken for a length or a short integer.
func appendToken(dst []byte, s string) ([]byte, error) {
	if s == "" || s[0] < 32 || s[0] > textQuote {
		return dst, errorf(ErrInvalid, "token %q must start with an ASCII octet 0x20–0x7F", s)
	}
	if len(s) > MaxString || bytesIndexNul(s) {
		return dst, errorf(ErrInvalid, "token %q", s)
	}
	return append(append(dst, s...), 0), nil
}

func bytesIndexNul(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return true
		}
	}
	return false
}

// readTextValue reads a Text-value (§8.4.2.3): No-value (a lone NUL), a
// Token-text, or a Quoted-string whose leading '"' is dropped. A 0x7F quote
// is accepted too.
func readTextValue(p []byte) (string, []byte, error) {
	if len(p) > 0 && (p[0] == quotedMark || p[0] == textQuote) {
		s, rest, err := readToken(p[1:])
		return s, rest, err
	}
	return readToken(p)
}

// appendTextValue appends a Text-value, as a Quoted-string when a bare
// token would be misread.
func appendTextValue(dst []byte, s string) ([]byte, error) {
	if s == "" {
		return append(dst, 0), nil
	}
	if s[0] < 32 || s[0] >= textQuote || s[0] == quotedMark {
		if len(s) > MaxString || bytesIndexNul(s) {
			return dst, errorf(ErrInvalid, "text value %q", s)
		}
		return append(append(append(dst, quotedMark), s...), 0), nil
	}
	return appendToken(dst, s)
}

// readLongInt reads a Long-integer (§8.4.2.1): a Short-length 1–30 and that
// many octets, big-endian. Values above 64 bits are refused.
func readLongInt(p []byte) (uint64, []byte, error) {
	if len(p) == 0 {
		return 0, p, errorf(ErrTruncated, "long-integer")
	}
	n := int(p[0])
	if n == 0 || n >= lengthQuote {
		return 0, p, errorf(ErrMalformed, "long-integer length %d", n)
	}
	if n > len(p)-1 {
		return 0, p, errorf(ErrTruncated, "long-integer of %d octets", n)
	}
	var v uint64
	for _, c := range p[1 : 1+n] {
		if v>>56 != 0 {
			return 0, p, errorf(ErrMalformed, "long-integer exceeds 64 bits")
		}
		v = v<<8 | uint64(c)
	}
	return v, p[1+n:], nil
}

func appendLongInt(dst []byte, v uint64) []byte {
	var tmp [8]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = byte(v)
		v >>= 8
		if v == 0 {
			break
		}
	}
	dst = append(dst, byte(len(tmp)-i))
	return append(dst, tmp[i:]...)
}

// readInteger reads an Integer-value: a Short-integer (one octet with the
// high bit set) or a Long-integer.
func readInteger(p []byte) (uint64, []byte, error) {
	if len(p) > 0 && p[0]&0x80 != 0 {
		return uint64(p[0] & 0x7F), p[1:], nil
	}
	return readLongInt(p)
}

func appendInteger(dst []byte, v uint64) []byte {
	if v < 0x80 {
		return append(dst, byte(v)|0x80)
	}
	return appendLongInt(dst, v)
}

// readShortInt reads a Short-integer.
func readShortInt(p []byte) (byte, []byte, error) {
	if len(p) == 0 {
		return 0, p, errorf(ErrTruncated, "short-integer")
	}
	if p[0]&0x80 == 0 {
		return 0, p, errorf(ErrMalformed, "short-integer expected, got 0x%02X", p[0])
	}
	return p[0] & 0x7F, p[1:], nil
}

// maxDateSeconds keeps dates and durations within what time.Time and
// time.Duration represent without overflow.
const maxDateSeconds = math.MaxInt64 / int64(time.Second)

// readDate reads a Date-value: a Long-integer of seconds since 1970 UTC.
func readDate(p []byte) (time.Time, []byte, error) {
	v, rest, err := readLongInt(p)
	if err != nil {
		return time.Time{}, p, err
	}
	if v > uint64(maxDateSeconds) {
		return time.Time{}, p, errorf(ErrMalformed, "date %d out of range", v)
	}
	return time.Unix(int64(v), 0).UTC(), rest, nil
}

func appendDate(dst []byte, t time.Time) ([]byte, error) {
	s := t.Unix()
	if s < 0 {
		return dst, errorf(ErrInvalid, "date %v before 1970", t)
	}
	return appendLongInt(dst, uint64(s)), nil
}

func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}
