package mmsc

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/homemmsc/homemmsc/internal/flagvalue"
	"github.com/homemmsc/homemmsc/internal/phones"
)

// MaxAllowed is the most numbers an allow-list holds: a family's
// contacts, not a directory.
const MaxAllowed = 1024

// AllowList is the optional list of sender numbers whose messages are
// accepted when the sender was identified by From or ?n= (a paired phone,
// identified by its token, is always accepted). Numbers are compared with
// phones.SameNumber: "+447700900123", "0044 7700 900123" and
// "07700900123" are one number.
type AllowList struct{ numbers []string }

// ParseAllowList reads a comma-separated list of numbers; separators
// inside a number (spaces, dashes, dots, parentheses) are ignored
// (phones.Normalize).
func ParseAllowList(list string) (AllowList, error) {
	return newAllowList(strings.Split(list, ","))
}

// ReadAllowList reads one number per line; blank lines and lines starting
// with '#' are skipped.
func ReadAllowList(r io.Reader) (AllowList, error) {
	var entries []string
	err := phones.ReadLines(r, func(_ int, line string) error {
		entries = append(entries, line)
		return nil
	})
	if err != nil {
		return AllowList{}, fmt.Errorf("%w: %w", phones.ErrBadNumber, err)
	}
	return newAllowList(entries)
}

func newAllowList(entries []string) (AllowList, error) {
	var a AllowList
	for _, e := range entries {
		if strings.TrimSpace(e) == "" {
			continue
		}
		n := phones.Normalize(e)
		if !phones.ValidNumber(n) {
			return AllowList{}, fmt.Errorf("%w %q in the allow-list: want + and 3–20 digits", phones.ErrBadNumber, e)
		}
		if !slices.Contains(a.numbers, n) {
			a.numbers = append(a.numbers, n)
		}
	}
	if len(a.numbers) > MaxAllowed {
		return AllowList{}, fmt.Errorf("allow-list: %d numbers, at most %d", len(a.numbers), MaxAllowed)
	}
	return a, nil
}

// Len is how many numbers the list holds.
func (a AllowList) Len() int { return len(a.numbers) }

// Allows reports whether number is on the list.
func (a AllowList) Allows(number string) bool {
	return slices.ContainsFunc(a.numbers, func(m string) bool { return phones.SameNumber(m, number) })
}

// LoadAllowList reads the -allow value: inline numbers, or @file.
func LoadAllowList(spec string) (AllowList, error) {
	return flagvalue.Load("allow", spec, ParseAllowList, ReadAllowList)
}
