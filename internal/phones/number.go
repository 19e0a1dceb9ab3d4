package phones

import "strings"

// minSignificant is the fewest digits two numbers must share at their end
// to be taken as one number written in two forms. Android's loose
// comparison (PhoneNumberUtils.compare) uses 7; subscriber numbers are
// 7 digits or more in every numbering plan we know, and a home appliance
// has a handful of phones, so a false match needs two paired phones that
// share their last seven digits.
const minSignificant = 7

// Normalize returns a number as digits, with its leading "+" when it is in
// international form: separators (space, '-', '.', '/', parentheses) are
// dropped, a "00" international prefix becomes "+", and "/TYPE=PLMN" (the
// MMS address suffix) is cut. Anything else that is not a digit makes the
// result "" (not a phone number: an e-mail address, say).
func Normalize(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.Index(strings.ToUpper(s), "/TYPE="); i >= 0 {
		s = s[:i]
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		case c == '+' && b.Len() == 0 && !strings.Contains(s[:i], "+"):
			b.WriteByte(c)
		case c == ' ' || c == '-' || c == '.' || c == '/' || c == '(' || c == ')':
		default:
			return ""
		}
	}
	n := b.String()
	if rest, ok := strings.CutPrefix(n, "00"); ok && len(rest) > 0 {
		n = "+" + rest
	}
	if n == "+" {
		return ""
	}
	return n
}

// SameNumber reports whether a and b are the same phone number, written
// in international form ("+447700900123", "0044 7700 900123") or in
// national form with its trunk prefix ("07700900123"). Two international
// numbers must be equal; otherwise the national significant digits
// (without the trunk '0') must end the other number, at least
// minSignificant of them. The country is not known, so a national number
// matches the same subscriber number in any country: see minSignificant.
func SameNumber(a, b string) bool {
	a, b = Normalize(a), Normalize(b)
	if a == "" || b == "" {
		return false
	}
	if a == b {
		return true
	}
	intlA, intlB := strings.HasPrefix(a, "+"), strings.HasPrefix(b, "+")
	if intlA && intlB {
		return false
	}
	a, b = significant(a), significant(b)
	if len(a) > len(b) {
		a, b = b, a
	}
	return len(a) >= minSignificant && strings.HasSuffix(b, a)
}

// significant strips the "+" or the national trunk prefix '0'.
func significant(n string) string {
	if rest, ok := strings.CutPrefix(n, "+"); ok {
		return rest
	}
	return strings.TrimLeft(n, "0")
}
