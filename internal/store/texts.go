package store

import (
	"encoding/binary"
	"strings"
	"unsafe"
)

// texts holds the strings of the index: each distinct sender and
// recipients once, and the subjects one after another in one byte
// slice, each a uvarint length and its bytes. An entry refers to them by
// number, so the index holds no pointer for the garbage collector to
// follow and no allocation per subject. Its bytes are only appended
// to, never changed: a Summary's Subject points into them. A deleted
// message's subject stays until the dead bytes outweigh the live ones;
// then compact copies the live ones to a new slice, which also drops
// the parties no message refers to any more.
type texts struct {
	parties  []parties
	partyNum map[parties]uint32
	subjects []byte // subjects[0] is the empty subject's length, 0
	dead     int    // bytes of subjects no entry refers to
}

// parties are a message's sender and its To addresses, one a line (the
// metadata's addresses hold no control characters: see clean).
type parties struct {
	sender Sender
	to     string
}

// minWaste is the dead subject bytes below which compact is not worth
// its pass over the index.
const minWaste = 64 << 10

func newTexts() *texts {
	return &texts{partyNum: map[parties]uint32{}, subjects: []byte{0}}
}

// add records m's sender, recipients and subject, and returns their
// numbers for an entry.
func (t *texts) add(m *Meta) (party, subject uint32) {
	return t.party(parties{m.Sender, strings.Join(m.To, "\n")}), t.addSubject(m.Subject)
}

func (t *texts) party(p parties) uint32 {
	n, ok := t.partyNum[p]
	if !ok {
		n = uint32(len(t.parties))
		t.parties = append(t.parties, p)
		t.partyNum[p] = n
	}
	return n
}

func (t *texts) addSubject(s string) uint32 {
	if s == "" {
		return 0
	}
	at := uint32(len(t.subjects))
	t.subjects = binary.AppendUvarint(t.subjects, uint64(len(s)))
	t.subjects = append(t.subjects, s...)
	return at
}

// subject returns the subject at; the string shares the bytes of
// t.subjects, which are never written again.
func (t *texts) subject(at uint32) string {
	n, k := binary.Uvarint(t.subjects[at:])
	if n == 0 {
		return ""
	}
	return unsafe.String(&t.subjects[int(at)+k], int(n))
}

// release counts the subject at as dead.
func (t *texts) release(at uint32) { t.dead += t.bytes(at) }

// bytes is what the subject at takes in t.subjects.
func (t *texts) bytes(at uint32) int {
	if at == 0 {
		return 0
	}
	n, k := binary.Uvarint(t.subjects[at:])
	return k + int(n)
}

// wasteful reports whether compact would free more than it keeps.
func (t *texts) wasteful() bool {
	return t.dead >= minWaste && t.dead > len(t.subjects)-t.dead
}

// compact returns new texts holding only what entries refer to, and
// renumbers entries to them.
func (t *texts) compact(entries []entry) *texts {
	c := newTexts()
	size := 1
	for i := range entries {
		size += t.bytes(entries[i].subject)
	}
	c.subjects = make([]byte, 1, withRoom(size)) // see Open
	for i := range entries {
		e := &entries[i]
		e.parties = c.party(t.parties[e.parties])
		e.subject = c.addSubject(t.subject(e.subject))
	}
	return c
}

// withRoom is a capacity for n elements and an eighth more: the first
// Puts after Open (or after compacting the texts) then add to the index
// and its texts without copying them.
func withRoom(n int) int { return n + n/8 + 64 }
