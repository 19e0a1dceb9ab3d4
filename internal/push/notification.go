package push

import (
	"errors"
	"fmt"

	"github.com/homemmsc/homemmsc/internal/mms"
)

// ErrNotNotification is returned by Notification for a message that is
// not an M-Notification.ind with a Content-Location.
var ErrNotNotification = errors.New("push: not an M-Notification.ind with a Content-Location")

// Notification encodes n, an M-Notification.ind made by
// mms.NewNotificationInd with From and Subject set when known, so that its
// push fits one SMS: when it does not, Subject is left out, then From too.
// When even the mandatory headers do not fit, it returns them anyway, and
// the push takes several SMS. n is not modified.
func Notification(n *mms.Message) ([]byte, error) {
	if n.Type != mms.TypeNotificationInd || n.ContentLocation == "" {
		return nil, ErrNotNotification
	}
	m := *n
	b, err := m.Encode()
	if err != nil || len(b) <= OneSegment {
		return b, err
	}
	m.Subject = mms.EncodedString{}
	if b, err = m.Encode(); err != nil || len(b) <= OneSegment {
		return b, err
	}
	m.From = mms.Address{}
	if b, err = m.Encode(); err != nil {
		return nil, fmt.Errorf("push: %w", err)
	}
	return b, nil
}
