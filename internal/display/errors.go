package display

import "errors"

// ErrConfig wraps every configuration error (size, address, controller).
var ErrConfig = errors.New("display: bad configuration")
