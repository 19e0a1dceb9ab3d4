package push

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/homemmsc/homemmsc/internal/modem"
	"github.com/homemmsc/homemmsc/internal/modem/sms"
)

// Sender hands one SMS-SUBMIT PDU to the modem and returns the message
// reference; *modem.Device is one. Its Send must be safe for concurrent
// callers: the owner notifier shares the device.
type Sender interface {
	Send(ctx context.Context, p sms.PDU) (int, error)
}

// Errors. Both are permanent: retrying cannot help.
var (
	ErrBadNumber = fmt.Errorf("push: destination is not an international number (+ and 1-15 digits): %w", sms.ErrBadNumber)
	ErrTooLarge  = fmt.Errorf("push: message needs more than %d SMS: %w", sms.MaxParts, sms.ErrTooLong)
)

// Config configures a Pusher. The zero value works.
type Config struct {
	Logger *slog.Logger // if nil, logs are discarded
	// Rand seeds the first WSP transaction id and each destination's first
	// concatenation reference; if nil, crypto/rand. A random start keeps a
	// restarted appliance from reusing the reference of a message whose
	// parts a phone may still hold.
	Rand io.Reader
}

// Pusher sends WAP pushes and plain texts to recipients through the modem,
// now or with an error: it keeps no queue, its caller retries.
type Pusher struct {
	send Sender
	log  *slog.Logger
	rand io.Reader

	mu   sync.Mutex
	tid  byte
	refs map[string]uint16 // next concatenation reference per destination
}

// maxRefs bounds the reference map; past it the map starts again, which
// costs nothing but the (random) continuity of old destinations.
const maxRefs = 1024

// New returns a Pusher that sends through s.
func New(s Sender, cfg Config) *Pusher {
	p := &Pusher{send: s, log: cfg.Logger, rand: cfg.Rand, refs: map[string]uint16{}}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.rand == nil {
		p.rand = rand.Reader
	}
	p.tid = byte(p.random())
	return p
}

// Push sends pdu, an encoded MMS PDU (M-Notification.ind, M-Delivery.ind),
// to the WAP push port of to. A push that needs several SMS carries a
// 16-bit concatenation reference, the next one for that destination. When
// a part fails after others went out the error says so; a retry sends the
// whole push again under a new reference, and the phone drops the orphaned
// parts.
func (p *Pusher) Push(ctx context.Context, to string, pdu []byte) error {
	if !ValidNumber(to) {
		return fmt.Errorf("%w: %q", ErrBadNumber, to)
	}
	if Segments(len(pdu)) > sms.MaxParts {
		return fmt.Errorf("%w: %d octets", ErrTooLarge, len(pdu))
	}
	tid, ref := p.next(to)
	pdus, err := sms.Encode(sms.WAPPush(to, tid, pdu, ref))
	if err != nil {
		return fmt.Errorf("push: %w", err)
	}
	return p.sendAll(ctx, "push", to, pdus)
}

// Text sends a plain-text SMS to to: GSM 7-bit when every character is in
// that alphabet, UCS-2 otherwise, in concatenated parts (16-bit reference)
// when it is long.
func (p *Pusher) Text(ctx context.Context, to, text string) error {
	if !ValidNumber(to) {
		return fmt.Errorf("%w: %q", ErrBadNumber, to)
	}
	_, ref := p.next(to)
	pdus, err := sms.Encode(sms.Message{To: to, Text: text, Ref: ref, Ref16: true})
	if errors.Is(err, sms.ErrTooLong) {
		return fmt.Errorf("%w: text of %d bytes", ErrTooLarge, len(text))
	}
	if err != nil {
		return fmt.Errorf("push: %w", err)
	}
	return p.sendAll(ctx, "text", to, pdus)
}

// sendAll hands the parts to the modem in order and stops at the first
// failure.
func (p *Pusher) sendAll(ctx context.Context, what, to string, pdus []sms.PDU) error {
	for _, pdu := range pdus {
		if _, err := p.send.Send(ctx, pdu); err != nil {
			if pdu.Part > 1 {
				return fmt.Errorf("push: %s to %s: part %d of %d (earlier parts sent): %w", what, to, pdu.Part, pdu.Parts, err)
			}
			return fmt.Errorf("push: %s to %s: %w", what, to, err)
		}
	}
	p.log.Info("push: sent", "what", what, "to", to, "sms", len(pdus))
	return nil
}

// next returns a WSP transaction id and the concatenation reference for a
// message to to.
func (p *Pusher) next(to string) (tid byte, ref uint16) {
	p.mu.Lock()
	defer p.mu.Unlock()
	tid = p.tid
	p.tid++
	ref, ok := p.refs[to]
	if !ok {
		if len(p.refs) >= maxRefs {
			clear(p.refs)
		}
		ref = p.random()
	}
	p.refs[to] = ref + 1
	return tid, ref
}

// random returns 16 random bits; a failing source gives zero, which only
// costs the randomness of a start value.
func (p *Pusher) random() uint16 {
	var b [2]byte
	if _, err := io.ReadFull(p.rand, b[:]); err != nil {
		p.log.Warn("push: no randomness for a start value", "err", err)
		return 0
	}
	return binary.BigEndian.Uint16(b[:])
}

// Temporary tells whether a Push or Text error may go away on retry: no
// modem, a timeout, network or SIM trouble, +CMS ERROR: 500. A bad
// number, a message too large and the permanent +CMS ERROR causes (304,
// 305, …) are not. It is modem.Temporary.
func Temporary(err error) bool { return modem.Temporary(err) }

// ValidNumber tells whether s is an international number: "+" and 1 to 15
// digits, the first not 0 (ITU-T E.164).
func ValidNumber(s string) bool {
	if len(s) < 2 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Absent tells whether a Push or Text error says the modem is missing
// (unplugged, not yet found): worth retrying without counting it as an
// attempt, and at once when the modem is back.
func Absent(err error) bool { return errors.Is(err, modem.ErrAbsent) }
