package sms

// The GSM 7-bit default alphabet (3GPP TS 23.038 §6.2.1), indexed by septet.
// Position 0x1B is the escape to the extension table; it maps to no
// character of its own here.
var gsm7Basic = [128]rune{
	'@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å',
	'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', -1, 'Æ', 'æ', 'ß', 'É',
	' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/',
	'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?',
	'¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
	'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§',
	'¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
	'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à',
}

// The extension table (3GPP TS 23.038 §6.2.1.1): septet after ESC → rune.
var gsm7Ext = [...]struct {
	s byte
	r rune
}{
	{0x0A, '\f'}, {0x14, '^'}, {0x28, '{'}, {0x29, '}'}, {0x2F, '\\'},
	{0x3C, '['}, {0x3D, '~'}, {0x3E, ']'}, {0x40, '|'}, {0x65, '€'},
}

const esc = 0x1B

// septetsOf returns the GSM 7-bit septets for r (one, or ESC and one), or
// nil when r is not in the alphabet. The tables are small: a linear search
// keeps the package free of lookup maps.
func septetsOf(r rune) []byte {
	for i, b := range gsm7Basic {
		if b == r {
			return []byte{byte(i)}
		}
	}
	for _, e := range gsm7Ext {
		if e.r == r {
			return []byte{esc, e.s}
		}
	}
	return nil
}

// extRune returns the extension-table character for septet s.
func extRune(s byte) (rune, bool) {
	for _, e := range gsm7Ext {
		if e.s == s {
			return e.r, true
		}
	}
	return 0, false
}

// toGSM7 converts text to septets, one group per character so that a
// splitter keeps ESC pairs whole. ok is false when some character is not in
// the alphabet.
func toGSM7(text string) (groups [][]byte, ok bool) {
	for _, r := range text {
		s := septetsOf(r)
		if s == nil {
			return nil, false
		}
		groups = append(groups, s)
	}
	return groups, true
}

// packSeptets packs septets LSB-first into octets (23.038 §6.1.2.1.1),
// starting after skip septets of zeros that a header will overwrite. When
// the last octet would have seven spare bits they are filled with CR.
func packSeptets(skip int, septets []byte) []byte {
	n := skip + len(septets)
	out := make([]byte, (n*7+7)/8)
	for i, s := range septets {
		bit := (skip + i) * 7
		out[bit/8] |= s << (bit % 8)
		if bit%8 > 1 {
			out[bit/8+1] |= s >> (8 - bit%8)
		}
	}
	if n%8 == 7 {
		out[len(out)-1] |= '\r' << 1
	}
	return out
}

// unpackSeptets is the inverse of packSeptets: n septets from ud starting
// at septet skip.
func unpackSeptets(ud []byte, skip, n int) []byte {
	out := make([]byte, 0, n)
	for i := skip; i < skip+n; i++ {
		bit := i * 7
		v := ud[bit/8] >> (bit % 8)
		if bit%8 > 1 && bit/8+1 < len(ud) {
			v |= ud[bit/8+1] << (8 - bit%8)
		}
		out = append(out, v&0x7F)
	}
	return out
}

// fromGSM7 decodes septets to text; an unknown extension maps to the basic
// character, as 23.038 asks of receivers.
func fromGSM7(septets []byte) string {
	var rs []rune
	for i := 0; i < len(septets); i++ {
		s := septets[i]
		if s == esc && i+1 < len(septets) {
			i++
			if r, ok := extRune(septets[i]); ok {
				rs = append(rs, r)
				continue
			}
			s = septets[i]
		}
		if r := gsm7Basic[s&0x7F]; r >= 0 {
			rs = append(rs, r)
		} else {
			rs = append(rs, ' ')
		}
	}
	return string(rs)
}
