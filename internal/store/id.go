package store

import (
	"fmt"
	"strconv"
	"time"
)

// An id is "YYYYMMDD-hhmmss-NNNNNN": the UTC time the message was received
// and the store's sequence number, zero-padded to at least six digits.
// The sequence alone makes ids unique; the time is for people and may be
// wrong (no RTC). Ids contain only digits and '-', so they are safe in
// file names and URLs.
const (
	idTimeLen = len("20060102-150405")
	minIDLen  = idTimeLen + 1 + 6
	maxIDLen  = idTimeLen + 1 + 20 // a uint64 has at most 20 digits
)

// makeID builds the id for sequence seq received at t.
func makeID(t time.Time, seq uint64) string {
	t = t.UTC()
	if y := t.Year(); y < 1 || y > 9999 {
		t = time.Time{} // year 1: keeps the shape of the id for an absurd clock
	}
	return fmt.Sprintf("%s-%06d", t.Format("20060102-150405"), seq)
}

// parseID validates id and returns its sequence number. Every lookup
// goes through it before the id comes near a path.
func parseID(id string) (uint64, error) {
	if len(id) < minIDLen || len(id) > maxIDLen {
		return 0, ErrInvalidID
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case i == 8 || i == idTimeLen:
			if c != '-' {
				return 0, ErrInvalidID
			}
		case c < '0' || c > '9':
			return 0, ErrInvalidID
		}
	}
	seq, err := strconv.ParseUint(id[idTimeLen+1:], 10, 64)
	if err != nil {
		return 0, ErrInvalidID
	}
	return seq, nil
}

// ValidID reports whether id has the shape of a store id. It says nothing
// about whether the message exists.
func ValidID(id string) bool {
	_, err := parseID(id)
	return err == nil
}
