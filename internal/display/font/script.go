package font

import "unicode"

// Cyrillic and Greek letters are common in phone contact names and have
// well known Latin spellings (ISO 9 / ELOT 743, simplified). Upper case
// letters map to the capitalised spelling of the lower case one.
var (
	cyrillic = map[rune]string{
		'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ё': "yo",
		'ж': "zh", 'з': "z", 'и': "i", 'й': "j", 'к': "k", 'л': "l", 'м': "m",
		'н': "n", 'о': "o", 'п': "p", 'р': "r", 'с': "s", 'т': "t", 'у': "u",
		'ф': "f", 'х': "h", 'ц': "c", 'ч': "ch", 'ш': "sh", 'щ': "shch", 'ъ': "",
		'ы': "y", 'ь': "", 'э': "e", 'ю': "yu", 'я': "ya", 'є': "ye", 'і': "i",
		'ї': "yi", 'ґ': "g", 'ў': "u", 'ђ': "dj", 'ј': "j", 'љ': "lj", 'њ': "nj",
		'ћ': "c", 'џ': "dz",
	}
	greek = map[rune]string{
		'α': "a", 'β': "v", 'γ': "g", 'δ': "d", 'ε': "e", 'ζ': "z", 'η': "i",
		'θ': "th", 'ι': "i", 'κ': "k", 'λ': "l", 'μ': "m", 'ν': "n", 'ξ': "x",
		'ο': "o", 'π': "p", 'ρ': "r", 'σ': "s", 'ς': "s", 'τ': "t", 'υ': "y",
		'φ': "f", 'χ': "ch", 'ψ': "ps", 'ω': "o",
	}
)

// romanize spells a Cyrillic or Greek letter in Latin letters.
func romanize(r rune) (string, bool) {
	lower := unicode.ToLower(r)
	t, ok := cyrillic[lower]
	if !ok {
		t, ok = greek[lower]
	}
	if !ok || t == "" || lower == r {
		return t, ok
	}
	first := []rune(t)
	first[0] = unicode.ToUpper(first[0])
	return string(first), true
}
