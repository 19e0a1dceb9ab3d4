package modem

import (
	"errors"
	"io"
	"syscall"

	"github.com/homemmsc/homemmsc/internal/modem/at"
	"github.com/homemmsc/homemmsc/internal/modem/sms"
)

// Errors.
var (
	ErrAbsent        = errors.New("modem: absent")
	ErrNotResponding = errors.New("modem: does not answer AT")
	ErrNoSIM         = errors.New("modem: no SIM card")
	ErrPINRequired   = errors.New("modem: SIM PIN required and none configured")
	ErrPINRejected   = errors.New("modem: SIM PIN rejected (not retried: the SIM locks after three)")
	ErrPUKRequired   = errors.New("modem: SIM PUK required")
	ErrSIMBusy       = errors.New("modem: SIM stays busy")
	ErrNotRegistered = errors.New("modem: not registered for SMS")
	ErrNoPDUMode     = errors.New("modem: PDU mode (AT+CMGF=0) refused")
)

// Temporary SMS and ME errors: network trouble, congestion, SIM busy,
// no service, and the catch-all 500 that Huawei and Qualcomm sticks return
// and that goes away on retry (gammu#370, #264, #438).
var (
	temporaryCMS = []int{38, 41, 42, 47, 314, 331, 332, 500}
	permanentCMS = []int{1, 8, 21, 29, 30, 50, 69, 304, 305, 310, 311, 312, 313, 315, 316, 317, 318, 330}
	temporaryCME = []int{14, 30, 31, 100}
)

// Temporary tells whether sending may succeed later: network and SIM-busy
// errors, no registration, timeouts and a vanished or absent modem.
// +CMS ERROR: 304 (our PDU) and the other permanent causes of 27.005 and
// 24.011 are not; neither are encoding errors. Unknown modem errors count
// as temporary: the outbox bounds how often it retries.
func Temporary(err error) bool {
	var cms *at.CMSError
	var cme *at.CMEError
	switch {
	case err == nil:
		return false
	case errors.As(err, &cms):
		return contains(temporaryCMS, cms.Code) || !contains(permanentCMS, cms.Code)
	case errors.As(err, &cme):
		return contains(temporaryCME, cme.Code) || cme.Code > 100 || cme.Code < 0
	case errors.Is(err, sms.ErrBadNumber), errors.Is(err, sms.ErrTooLong),
		errors.Is(err, sms.ErrEmpty), errors.Is(err, ErrPINRejected), errors.Is(err, ErrPUKRequired):
		return false
	}
	return true
}

// Gone tells whether err means the port went away (unplugged, reset) and
// must be reopened.
func Gone(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ENODEV) || errors.Is(err, syscall.EIO) ||
		errors.Is(err, syscall.ENXIO) || errors.Is(err, at.ErrClosed) || errors.Is(err, io.ErrClosedPipe)
}

func contains(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
