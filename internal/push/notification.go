package push

import (
	"errors"
	"fmt"

	"github.com/homemmsc/homemmsc/internal/mms"
)

// ErrNotNotification is returned by Notification for a message that is
// not an M-Notification.ind with every mandatory header (OMA-MMS-ENC §6.2:
// Transaction-Id, MMS-Version, Message-Class, Message-Size, Expiry,
// Content-Location).
var ErrNotNotification = errors.New("push: not an M-Notification.ind with its mandatory headers")

// Notification encodes n, an M-Notification.ind made by
// mms.NewNotificationInd with From and Subject set when known, so that its
// push fits one SMS: when it does not, Subject is left out, then From too.
// When even the mandatory headers do not fit, it returns them anyway, and
// the push takes several SMS. A From or Subject that is not printable
// ASCII is always left out (see the package documentation). n is not
// modified.
func Notification(n *mms.Message) ([]byte, error) {
	if n.Type != mms.TypeNotificationInd || n.TransactionID == "" || n.Version == 0 || n.MessageClass == "" ||
		n.MessageSize == 0 || n.Expiry.IsZero() || n.ContentLocation == "" {
		return nil, ErrNotNotification
	}
	m := *n
	m.Subject = plain(m.Subject)
	m.From = mms.Address{Value: plain(m.From.Value)}
	leaveOut := []func(){
		func() {},
		func() { m.Subject = mms.EncodedString{} },
		func() { m.From = mms.Address{} },
	}
	var b []byte
	for _, step := range leaveOut {
		step()
		var err error
		if b, err = m.Encode(); err != nil {
			return nil, fmt.Errorf("push: %w", err)
		}
		if len(b) <= OneSegment {
			break
		}
	}
	return b, nil
}

// plain returns s as a plain Text-string when it is printable ASCII, the
// form every notification parser reads, and nothing otherwise.
func plain(s mms.EncodedString) mms.EncodedString {
	if len(s.Raw) == 0 || s.Charset != 0 && s.Charset != mms.CharsetUSASCII && s.Charset != mms.CharsetUTF8 {
		return mms.EncodedString{}
	}
	for _, c := range s.Raw {
		if c < 0x20 || c > 0x7E {
			return mms.EncodedString{}
		}
	}
	return mms.EncodedString{Raw: s.Raw}
}
