package mms

import (
	"errors"
	"fmt"
)

// Limits. They are part of the API: Decode refuses input that breaks one of
// them with the sentinel named beside it, before allocating for it.
const (
	// MaxPDU is the largest PDU Decode accepts and Encode emits (ErrTooLarge).
	MaxPDU = 8 << 20
	// MaxParts is the most multipart entries in one PDU, counting the entries
	// of nested multiparts too (ErrTooManyParts).
	MaxParts = 256
	// MaxString is the longest text string, header name or parameter value
	// (ErrTooLarge).
	MaxString = 8 << 10
	// MaxDepth is the deepest nesting of multipart bodies: the message body
	// is depth 1, a multipart inside one of its parts depth 2 (ErrTooDeep).
	MaxDepth = 4
	// MaxHeaders is the most headers in one header block: the message
	// headers, or the headers of one part (ErrTooManyHeaders).
	MaxHeaders = 256
)

// Sentinel errors. Decode and Encode wrap them with context; test for them
// with errors.Is.
var (
	ErrTooLarge       = errors.New("mms: too large")
	ErrTooManyParts   = errors.New("mms: too many parts")
	ErrTooManyHeaders = errors.New("mms: too many headers")
	ErrTooDeep        = errors.New("mms: multipart nested too deep")
	ErrTruncated      = errors.New("mms: truncated")
	ErrMalformed      = errors.New("mms: malformed")
	// ErrNotMMS is returned when the first octets are not an
	// X-Mms-Message-Type header: the input is not an MMS PDU at all.
	ErrNotMMS = errors.New("mms: not an MMS PDU")
	// ErrInvalid is returned by Encode for a Message that cannot be
	// expressed in the encoding (a NUL inside a string, an empty media type).
	ErrInvalid = errors.New("mms: invalid message")
)

// DecodeError says where in the PDU decoding failed. Err is one of the
// sentinels, possibly wrapped.
type DecodeError struct {
	Offset int    // octet offset into the PDU
	What   string // what was being decoded, e.g. "header To" or "part 2"
	Err    error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("mms: decoding %s at offset %d: %v", e.What, e.Offset, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// errorf wraps a sentinel with context.
func errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), sentinel)
}
