package phones

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/homemmsc/homemmsc/internal/flagvalue"
)

// Phone is one paired phone: the owner's name for it, its number and the
// secret token in its MMSC URL (http://host:port/mms/<Token>). The token is
// how the appliance knows which phone posted, because phones send the
// insert-address token instead of their own number (see the package doc).
type Phone struct {
	Name   string `json:"name"`   // shown to the owner, e.g. "Anna's phone"
	Number string `json:"number"` // "+" and 3–20 digits, e.g. "+15551234567"
	Token  string `json:"token"`  // at least MinTokenLen characters of [A-Za-z0-9_-]

	Paired   time.Time `json:"paired,omitzero"`   // when the owner added it in the inbox; zero for -phones entries
	Fixed    bool      `json:"-"`                 // from the -phones flag or file: read-only here
	Fallback bool      `json:"fallback,omitzero"` // also text a link when a message for it arrives (carrier drops WAP push)
	// MaxMessage is the largest M-Retrieve.conf, in bytes, the phone's
	// carrier lets through; a larger message has its pictures made
	// smaller for this phone (internal/adapt). 0 = DefaultMaxMessage.
	MaxMessage int `json:"maxMessage,omitzero"`
}

// DefaultMaxMessage is a phone's MaxMessage when it has none: 600 KB
// passes the carriers that cap MMS at 1 MB or 600 KB; set 300 KB for
// those at 300 KB (Free, T-Mobile NL).
const DefaultMaxMessage = 600 << 10

// Limits of MaxMessage that a setting may choose.
const (
	MinMaxMessage = 30 << 10 // anything less leaves no room for a picture
	MaxMaxMessage = 8 << 20  // the store's largest message
)

// Limit is the phone's MaxMessage, or DefaultMaxMessage when unset.
func (p Phone) Limit() int {
	if p.MaxMessage <= 0 {
		return DefaultMaxMessage
	}
	return p.MaxMessage
}

// Limits of the phone list.
const (
	MinTokenLen      = 16  // a shorter token is refused as guessable
	MaxTokenLen      = 128 // a longer one is surely a mistake
	minTokenDistinct = 8   // "aaaa…" or "abab…" is refused as weak
	MaxPhones        = 64  // a home appliance, not an operator
	maxNameLen       = 64
	maxLineLen       = 1024
)

// Errors of the phone list. Each error wraps one of these.
var (
	ErrWeakToken     = errors.New("phones: weak phone token")
	ErrBadNumber     = errors.New("phones: invalid phone number")
	ErrBadPhone      = errors.New("phones: invalid phone entry")
	ErrDupPhone      = errors.New("phones: duplicate phone")
	ErrTooManyPhones = errors.New("phones: too many phones")
)

// tokenAdvice tells the owner how to make a good token.
const tokenAdvice = "make one with: head -c 18 /dev/urandom | base64 | tr '+/' '-_'"

// ParsePhones parses an inline phone list: "name:number:token" entries
// separated by commas, e.g. "Anna:+15551234567:Q2x…,Ben:+15557654321:ZmF…".
// Empty entries are skipped. See ParsePhone for one entry.
func ParsePhones(list string) ([]Phone, error) {
	var phones []Phone
	for i, entry := range strings.Split(list, ",") {
		if strings.TrimSpace(entry) == "" {
			continue
		}
		p, err := ParsePhone(entry)
		if err != nil {
			return nil, fmt.Errorf("phone entry %d: %w", i+1, err)
		}
		phones = append(phones, p)
	}
	return phones, CheckPhones(phones)
}

// ReadPhones reads a phone file: one "name:number:token" per line; blank
// lines and lines starting with '#' are skipped. Names may contain spaces
// and commas.
func ReadPhones(r io.Reader) ([]Phone, error) {
	var phones []Phone
	err := ReadLines(r, func(n int, line string) error {
		p, err := ParsePhone(line)
		if err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
		phones = append(phones, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return phones, CheckPhones(phones)
}

// ReadLines calls fn with each line of a settings file (-phones, -allow)
// and its number, trimmed; blank lines and lines starting with '#' are
// skipped. A line longer than 1 KiB stops it with an error wrapping
// ErrBadPhone.
func ReadLines(r io.Reader, fn func(n int, line string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 256), maxLineLen)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := fn(n, line); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrBadPhone, err)
	}
	return nil
}

// ParsePhone parses one "name:number:token" entry. The number and the
// token are the last two fields, so the name may itself contain ':'.
func ParsePhone(entry string) (Phone, error) {
	entry = strings.TrimSpace(entry)
	tokAt := strings.LastIndexByte(entry, ':')
	if tokAt < 0 {
		return Phone{}, fmt.Errorf("%w: want name:number:token", ErrBadPhone)
	}
	numAt := strings.LastIndexByte(entry[:tokAt], ':')
	if numAt < 0 {
		return Phone{}, fmt.Errorf("%w: want name:number:token", ErrBadPhone)
	}
	p := Phone{
		Name:   strings.TrimSpace(entry[:numAt]),
		Number: strings.TrimSpace(entry[numAt+1 : tokAt]),
		Token:  strings.TrimSpace(entry[tokAt+1:]),
	}
	return p, p.Validate()
}

// Validate reports whether the phone can be used: a printable name, a
// valid number and a strong token.
func (p Phone) Validate() error {
	if p.Name == "" || len(p.Name) > maxNameLen || !printable(p.Name) {
		return fmt.Errorf("%w: name must be 1–%d printable characters", ErrBadPhone, maxNameLen)
	}
	if !ValidNumber(p.Number) {
		return fmt.Errorf("%w %q for %q: want + and 3–20 digits", ErrBadNumber, p.Number, p.Name)
	}
	if err := CheckToken(p.Token); err != nil {
		return fmt.Errorf("phone %q: %w", p.Name, err)
	}
	if p.MaxMessage != 0 && !validLimit(p.MaxMessage) {
		return fmt.Errorf("%w: size limit of %q not within %d-%d bytes", ErrBadPhone, p.Name, MinMaxMessage, MaxMaxMessage)
	}
	return nil
}

// CheckPhones checks a whole list: each phone valid, no token or number
// used twice, at most MaxPhones.
func CheckPhones(phones []Phone) error {
	if len(phones) > MaxPhones {
		return fmt.Errorf("%w: %d (at most %d)", ErrTooManyPhones, len(phones), MaxPhones)
	}
	tokens := make(map[string]string, len(phones))
	numbers := make(map[string]string, len(phones))
	for _, p := range phones {
		if err := p.Validate(); err != nil {
			return err
		}
		if other, ok := tokens[p.Token]; ok {
			return fmt.Errorf("%w: %q and %q have the same token", ErrDupPhone, other, p.Name)
		}
		if other, ok := numbers[p.Number]; ok {
			return fmt.Errorf("%w: %q and %q have the same number", ErrDupPhone, other, p.Name)
		}
		tokens[p.Token], numbers[p.Number] = p.Name, p.Name
	}
	return nil
}

// CheckToken refuses a token that is too short, too long, uses characters
// outside [A-Za-z0-9_-] (it goes in a URL path) or has too few distinct
// characters to be random.
func CheckToken(tok string) error {
	if len(tok) < MinTokenLen || len(tok) > MaxTokenLen {
		return fmt.Errorf("%w: %d characters, want %d–%d; %s",
			ErrWeakToken, len(tok), MinTokenLen, MaxTokenLen, tokenAdvice)
	}
	var seen [128]bool
	distinct := 0
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if !tokenChar(c) {
			return fmt.Errorf("%w: character %q not in [A-Za-z0-9_-]; %s", ErrWeakToken, c, tokenAdvice)
		}
		if !seen[c] {
			seen[c] = true
			distinct++
		}
	}
	if distinct < minTokenDistinct {
		return fmt.Errorf("%w: only %d distinct characters, looks guessable; %s",
			ErrWeakToken, distinct, tokenAdvice)
	}
	return nil
}

// ValidNumber reports whether s is "+" (optional) and 3–20 ASCII digits:
// the form accepted for a phone's number and for ?n= on the open endpoint.
func ValidNumber(s string) bool {
	s = strings.TrimPrefix(s, "+")
	if len(s) < 3 || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func tokenChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// printable reports whether s is valid UTF-8 without control characters.
func printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == '\uFFFD' || (r >= 0x80 && r < 0xA0) {
			return false
		}
	}
	return true
}

// Load reads the -phones value: inline entries, or @file.
func Load(spec string) ([]Phone, error) {
	return flagvalue.Load("phones", spec, ParsePhones, ReadPhones)
}
