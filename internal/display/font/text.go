package font

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// MaxInput caps how much of a string Clean looks at: a panel line holds at
// most a few dozen glyphs, so a hostile megabyte subject costs nothing.
const MaxInput = 256

// Clean makes s drawable by f on one line: control characters and runs of
// white space become one space, runes f lacks are transliterated (Latin
// letters lose their accents, ß becomes ss, typographic quotes and dashes
// become ASCII) and anything still unknown becomes Box. Invalid UTF-8 is
// replaced, combining marks and zero-width characters dropped.
func Clean(f *Face, s string) string {
	var b strings.Builder
	n := 0
	space := true // swallow leading space
	for _, r := range s {
		if n >= MaxInput {
			break
		}
		n++
		switch {
		case unicode.IsSpace(r) || unicode.IsControl(r):
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		case ignorable(r):
			continue
		}
		space = false
		b.WriteString(glyphsFor(f, r))
	}
	return strings.TrimRight(b.String(), " ")
}

// ignorable runes have no ink of their own.
func ignorable(r rune) bool {
	return unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) ||
		unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Variation_Selector, r) ||
		(r >= 0x1F3FB && r <= 0x1F3FF) // emoji skin tones
}

func glyphsFor(f *Face, r rune) string {
	if f.Has(r) {
		return string(r)
	}
	if t, ok := translit[r]; ok && allIn(f, t) {
		return t
	}
	if t, ok := romanize(r); ok {
		return t
	}
	// Strip accents: decompose and keep the base letters.
	var base []rune
	for _, d := range norm.NFD.String(string(r)) {
		if t, ok := romanize(d); ok {
			return t
		}
	}
	for _, d := range norm.NFKD.String(string(r)) {
		if !ignorable(d) {
			base = append(base, d)
		}
	}
	if len(base) > 0 && len(base) <= 3 && allIn(f, string(base)) {
		return string(base)
	}
	return string(Box)
}

func allIn(f *Face, s string) bool {
	for _, r := range s {
		if !f.Has(r) {
			return false
		}
	}
	return true
}

// translit covers letters and punctuation with no decomposition to ASCII.
var translit = map[rune]string{
	'ß': "ss", 'ẞ': "SS", 'æ': "ae", 'Æ': "AE", 'œ': "oe", 'Œ': "OE",
	'ø': "o", 'Ø': "O", 'ł': "l", 'Ł': "L", 'đ': "d", 'Đ': "D", 'ð': "d", 'Ð': "D",
	'þ': "th", 'Þ': "Th", 'ı': "i", 'ħ': "h", 'Ħ': "H", 'ŀ': "l", 'Ŀ': "L",
	'‘': "'", '’': "'", '‚': ",", '‛': "'", '“': "\"", '”': "\"", '„': "\"",
	'«': "<<", '»': ">>", '‹': "<", '›': ">", '–': "-", '—': "-", '‐': "-", '‑': "-",
	'−': "-", '…': "...", '•': "*", '·': ".", '×': "x", '÷': "/", '€': "EUR",
	'£': "GBP", '¥': "JPY", '©': "(c)", '®': "(R)", '™': "TM", '°': "o",
	'¡': "!", '¿': "?",
}

// Fit returns s, cut to at most width pixels with an ellipsis at the end if
// it had to be cut. s should already be Clean.
func Fit(f *Face, s string, width int) string {
	max := width / f.Advance
	if max <= 0 {
		return ""
	}
	runes := []rune(s)
	if len(runes) <= max {
		return s
	}
	cut := strings.TrimRight(string(runes[:max-1]), " ")
	return cut + string(Ellipsis)
}
