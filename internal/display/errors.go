package display

import "errors"

// Sentinels; errors.Is finds them through wrapping.
var (
	ErrConfig    = errors.New("display: bad configuration")
	ErrNoDisplay = errors.New("display: absent")
)
