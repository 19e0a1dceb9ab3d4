package store

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The index holds one small entry per message (see the package
// documentation, "The index"): what listing, searching and counting
// need, and where the message's latest metadata line is in the log, from
// which everything else is read on demand.

// entry is a message in the index. It holds no pointer, so the garbage
// collector never scans the index (a slice of entries is one object the
// GC only marks), and its fields are ordered so that the struct has no
// padding but at its end: 64 bytes on 64-bit platforms and on the Pi
// Zero's 32-bit ARM. The sender, recipients and subject are in the
// store's texts, which the entry refers to by number.
type entry struct {
	seq    uint64 // from the id; the index's order
	idTime uint64 // the id's digits before the sequence as one number (YYYYMMDDhhmmss)
	off    int64  // where the message's latest metadata line starts in the log
	pdu    int64  // where its PDU starts in the log
	sec    int64  // Received: Unix seconds
	nsec   int32  // and nanoseconds
	line   uint32 // bytes of that line, '\n' included
	size   uint32 // PDU bytes (at most MaxPDUSize)
	// parties is shared by every message with the same sender and
	// recipients: a home appliance hears from a handful of phones, each
	// writing to a handful of people.
	parties     uint32 // in texts.parties
	subject     uint32 // in texts.subjects; 0 is ""
	idWidth     uint8  // digits of the sequence in the id (at least 6)
	seen        bool
	clockSynced bool
}

// newEntry is the index entry of m, whose latest metadata line is n
// bytes at off and whose PDU is at pdu, without its texts (see
// texts.add). m.ID must be valid (decodeRecord and Put see to it).
func newEntry(m *Meta, off int64, n int, pdu int64) entry {
	idTime, width := packID(m.ID)
	return entry{
		seq: m.seq, idTime: idTime, idWidth: width,
		off: off, line: uint32(n), pdu: pdu, size: uint32(m.Size),
		sec: m.Received.Unix(), nsec: int32(m.Received.Nanosecond()),
		seen: m.Seen, clockSynced: m.ClockSynced,
	}
}

// newMessage is newEntry with m's sender, recipients and subject added
// to the store's texts; the caller holds s.mu (or is Open).
func (s *Store) newMessage(m *Meta, off int64, n int, pdu int64) entry {
	e := newEntry(m, off, n, pdu)
	e.parties, e.subject = s.texts.add(m)
	return e
}

// packID splits a valid id "YYYYMMDD-hhmmss-NNNNNN" into its fourteen
// time digits as a number and the width of its sequence, which with
// the sequence give the id back exactly (leading zeros included).
func packID(id string) (idTime uint64, width uint8) {
	for i := range idTimeLen {
		if c := id[i]; c != '-' {
			idTime = idTime*10 + uint64(c-'0')
		}
	}
	return idTime, uint8(len(id) - idTimeLen - 1)
}

// idKey is an id as the index holds it (see packID): what Open's scan
// keys the messages it has read by, with no string for each.
type idKey struct {
	idTime, seq uint64
	width       uint8
}

func (e *entry) key() idKey { return idKey{e.idTime, e.seq, e.idWidth} }

// keyOf returns the key of id, or false if id is not valid.
func keyOf(id string) (idKey, bool) {
	seq, err := parseID(id)
	if err != nil {
		return idKey{}, false
	}
	t, w := packID(id)
	return idKey{t, seq, w}, true
}

// mustKey is keyOf for an id known to be valid (a record's Msg.ID).
func mustKey(id string) idKey {
	k, _ := keyOf(id)
	return k
}

func (e *entry) id() string {
	return fmt.Sprintf("%08d-%06d-%0*d", e.idTime/1e6, e.idTime%1e6, int(e.idWidth), e.seq)
}

// is reports whether e is the entry of id, whose sequence is seq.
func (e *entry) is(id string, seq uint64) bool {
	idTime, width := packID(id)
	return e.seq == seq && e.idTime == idTime && e.idWidth == width
}

func (e *entry) received() time.Time { return time.Unix(e.sec, int64(e.nsec)).UTC() }

// diskBytes is what the message occupies in the log: its PDU and its
// latest line (a compacted log holds just these).
func (e *entry) diskBytes() int64 { return int64(e.size) + 1 + int64(e.line) }

// Summary is what the store keeps in memory of each message, and what a
// Query's Match sees: enough to list, search and count messages without
// reading the log. It has no ID: a Query formats the ids of its page
// only, not of every message it looks at.
type Summary struct {
	Received    time.Time // in UTC
	ClockSynced bool
	Sender      Sender
	Subject     string
	Seen        bool
	Size        int64 // PDU bytes

	to string // Meta.To, one a line
}

// ToLines returns the message's To addresses one a line, as the index
// holds them: without allocating, for a Match that groups messages by
// who they are to (a map key beside Sender).
func (s Summary) ToLines() string { return s.to }

// To returns the message's To addresses, as Meta.To holds them.
func (s Summary) To() []string {
	if s.to == "" {
		return nil
	}
	return strings.Split(s.to, "\n")
}

// summary is the Summary of e; the caller holds s.mu.
func (s *Store) summary(e *entry) Summary {
	p := &s.texts.parties[e.parties]
	return Summary{
		Received: e.received(), ClockSynced: e.clockSynced,
		Sender: p.sender, to: p.to, Subject: s.texts.subject(e.subject), Seen: e.seen, Size: int64(e.size),
	}
}

// insert adds e to the index; the caller holds s.mu (or is Open).
func (s *Store) insert(e entry) {
	s.account(e)
	// Puts finish in any order; keep the index sorted by sequence.
	i, _ := slices.BinarySearchFunc(s.entries, e.seq, bySeq)
	s.entries = slices.Insert(s.entries, i, e)
}

// account adds e to the counters, not to the index.
func (s *Store) account(e entry) {
	s.bytes += e.diskBytes()
	if !e.seen {
		s.unseen++
	}
}

// unaccount takes e out of the counters.
func (s *Store) unaccount(e entry) {
	s.bytes -= e.diskBytes()
	if !e.seen {
		s.unseen--
	}
}

// replace swaps the index entry of the same id for e (a new state); the
// caller holds s.mu. It reports false if the message is gone.
func (s *Store) replace(id string, e entry) bool {
	i, ok := s.find(id)
	if !ok {
		return false
	}
	// A change of metadata (seen, delivery) keeps who sent the
	// message and its subject.
	old := s.entries[i]
	e.parties, e.subject = old.parties, old.subject
	s.unaccount(old)
	s.account(e)
	s.entries[i] = e
	return true
}

// drop removes id from the index; the caller holds s.mu.
func (s *Store) drop(id string) {
	if i, ok := s.find(id); ok {
		s.unaccount(s.entries[i])
		s.texts.release(s.entries[i].subject)
		s.entries = slices.Delete(s.entries, i, i+1)
		if s.texts.wasteful() {
			s.texts = s.texts.compact(s.entries)
		}
	}
}

// find returns the position of id in the index; the caller holds s.mu.
// Two ids may share a sequence only in a log edited by hand: the
// run of entries with id's sequence is searched for the whole id.
func (s *Store) find(id string) (int, bool) {
	seq, err := parseID(id)
	if err != nil {
		return 0, false
	}
	i, _ := slices.BinarySearchFunc(s.entries, seq, bySeq)
	for ; i < len(s.entries) && s.entries[i].seq == seq; i++ {
		if s.entries[i].is(id, seq) {
			return i, true
		}
	}
	return 0, false
}

func bySeq(e entry, seq uint64) int {
	switch {
	case e.seq < seq:
		return -1
	case e.seq > seq:
		return 1
	}
	return 0
}

func (s *Store) sortIndex() {
	slices.SortStableFunc(s.entries, func(a, b entry) int { return bySeq(a, b.seq) })
}

// Get returns the whole metadata of the message with the given id, read
// from its line in the log. An invalid id is simply not found; so is
// a message whose line cannot be read (the error is logged and shows in
// Stats.LastError).
func (s *Store) Get(id string) (Meta, bool) {
	e, err := s.lookup(id)
	if err != nil {
		return Meta{}, false
	}
	m, err := s.load(e)
	if err != nil {
		s.readFailed(err)
		return Meta{}, false
	}
	return m, true
}

// lookup validates id and returns a copy of its index entry.
func (s *Store) lookup(id string) (entry, error) {
	if !ValidID(id) {
		return entry{}, ErrInvalidID
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	i, ok := s.find(id)
	if !ok {
		return entry{}, ErrNotFound
	}
	return s.entries[i], nil
}

// load reads the whole metadata of e from its line in the log, and
// checks that the line is the metadata of e's id: a log changed behind
// the store's back gives an error, never another message's metadata.
func (s *Store) load(e entry) (Meta, error) {
	line, err := s.msgs.readLine(e.off, e.line)
	if err != nil {
		return Meta{}, err
	}
	r, err := decodeRecord(line)
	if err != nil {
		return Meta{}, fmt.Errorf("store: log at %d: %w", e.off, err)
	}
	m := r.meta()
	if m == nil || !e.is(m.ID, m.seq) || m.Size != int64(e.size) {
		return Meta{}, fmt.Errorf("store: log at %d is not the metadata of %s", e.off, e.id())
	}
	return *m, nil
}

// readFailed records an error of load in Stats.LastError, unless the
// store is closed (the metadata is in the log, which Close closes).
func (s *Store) readFailed(err error) {
	if !errors.Is(err, ErrClosed) {
		s.setError("read metadata", err)
	}
}

// Stats summarises the store. New and Messages come from the same index
// as Query, under the same lock.
func (s *Store) Stats() Stats {
	free, err := s.fs.Free(s.dir)
	if err != nil {
		free = -1
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := Stats{
		Messages:    len(s.entries),
		New:         s.unseen,
		Bytes:       s.bytes,
		FreeBytes:   free,
		LastError:   s.lastErr,
		LastErrorAt: s.lastErrAt,
	}
	if s.stillFull(free) {
		st.Full, st.FullSince, st.FullNeeded = s.refused.full, s.refused.at, s.refused.need
	}
	return st
}
