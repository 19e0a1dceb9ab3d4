package store

import (
	"fmt"
	"slices"
	"time"
)

// Delivery is where one recipient of a message stands in the delivery
// to paired phones (issue 7): internal/deliver keeps the full state in
// its own files and records this summary in the metadata, for the inbox
// and anyone reading the log.
type Delivery struct {
	To      string    `json:"to"`              // the address as the message gave it
	Phone   string    `json:"phone,omitempty"` // the paired phone's name; empty when not paired
	State   string    `json:"state"`           // "pending", "notified", "deferred", "retrieved", "rejected", "expired", "failed", "kept"
	Updated time.Time `json:"updated,omitzero"`
}

// maxDeliveries bounds the entries SetDelivery records.
const maxDeliveries = MaxRecipients

// SetDelivery records the delivery states of a message's recipients
// (cleaned, at most MaxRecipients). Like SetSeen it goes through the
// log, is durable when it returns, and writes nothing when nothing
// changed.
func (s *Store) SetDelivery(id string, ds []Delivery) error {
	if len(ds) > maxDeliveries {
		return fmt.Errorf("%w: %d delivery entries (at most %d)", ErrInvalid, len(ds), maxDeliveries)
	}
	clean := make([]Delivery, len(ds))
	for i, d := range ds {
		clean[i] = Delivery{To: cleanText(d.To), Phone: cleanText(d.Phone), State: clean16(d.State), Updated: d.Updated.UTC()}
	}
	_, err := s.update("set delivery", id, func(m *Meta) bool {
		if slices.Equal(m.Delivery, clean) {
			return false
		}
		m.Delivery = clean // a new slice: the index's is not touched
		return true
	})
	return err
}

func cleanText(s string) string { return clean(s, MaxTextLen) }
func clean16(s string) string   { return clean(s, 16) }
