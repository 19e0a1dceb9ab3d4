package push

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"time"

	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/modem/sms"
)

// recorder is a Sender that keeps every PDU and fails the calls listed in
// fail (by 0-based call number).
type recorder struct {
	mu   sync.Mutex
	pdus []sms.PDU
	fail map[int]error
	n    int
}

func (r *recorder) Send(_ context.Context, p sms.PDU) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	if err := r.fail[r.n-1]; err != nil {
		return 0, err
	}
	r.pdus = append(r.pdus, p)
	return len(r.pdus), nil
}

// take returns the recorded PDUs and forgets them.
func (r *recorder) take() []sms.PDU {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.pdus
	r.pdus = nil
	return p
}

// newTest returns a pusher on a recorder, with a fixed random source:
// transaction id 0x12, and each new destination's first reference 0x3456.
func newTest() (*Pusher, *recorder) {
	r := &recorder{}
	rnd := bytes.NewReader(append([]byte{0x00, 0x12}, bytes.Repeat([]byte{0x34, 0x56}, 64)...))
	return New(r, Config{Rand: rnd}), r
}

// notice describes a notification case and what must survive encoding.
type notice struct {
	name          string
	tid, url      string
	from, subject string
	size          uint64
	// wantFrom and wantSubject tell whether the fields must be kept.
	wantFrom, wantSubject bool
	segments              int
}

func (n notice) message() *mms.Message {
	m := mms.NewNotificationInd(n.tid, n.url, n.size, 7*24*time.Hour)
	if n.from != "" {
		m.From = mms.PLMN(n.from)
	}
	if n.subject != "" {
		m.Subject = mms.Text(n.subject)
	}
	return m
}

// notices are the notification cases: everything fits; a UTF-8 Subject
// goes, fits or not; Subject must go;
// From must go too; even the minimum needs two SMS.
func notices() []notice {
	const url = "http://192.0.2.10:8080/m/AbCdEfGhIjKlMnOpQrStUv" // 22 base64url characters: 132 bits
	return []notice{
		{"all fits", "T1", url, "+15551234567", "Dinner", 31234, true, true, 1},
		{"utf-8 subject", "T1u", url, "+15551234567", "Zoë 😀", 31234, true, false, 1},
		{"subject dropped", "T2", url, "+15551234567", "Photos from the weekend at the lake, see you", 1_234_567, true, false, 1},
		{"from dropped too", "T3", url + "/" + strings.Repeat("z", 29), "+4915112345678901", "Hi", 99, false, false, 1},
		{"two SMS", "T4-" + strings.Repeat("x", 20), "http://mms.example.org/retrieve/" + strings.Repeat("0123456789", 8), "+15551234567", "Hi", 300_000, false, false, 2},
	}
}
