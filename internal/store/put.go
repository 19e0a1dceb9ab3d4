package store

import (
	"errors"
	"fmt"
	"time"
)

// Put stores a message and returns its metadata once its record (the
// metadata and the PDU) is durable in the log. ErrFull (quota,
// free-space floor, ENOSPC or EDQUOT) is transient: nothing was kept and
// the sender may retry later. Any error means nothing was kept.
func (s *Store) Put(in Incoming) (Meta, error) {
	if err := validate(in); err != nil {
		return Meta{}, err
	}
	if err := s.begin(); err != nil {
		return Meta{}, err
	}
	defer s.inflight.Done()

	meta := buildMeta(in)
	meta.seq = s.allocSeq()
	meta.Received = s.cfg.Now()
	meta.ClockSynced = s.cfg.ClockSynced()
	meta.ID = makeID(meta.Received, meta.seq)
	line, err := msgRecord(&meta, in.PDU, s.msgs.synced())
	if err != nil {
		return Meta{}, err
	}
	need := meta.Size + int64(len(line)) + 1
	if kind, err := s.reserve(need); err != nil {
		s.setError("put", err)
		s.refuse(kind, need)
		return Meta{}, err
	}
	off, err := s.commit(&meta, line, in.PDU)
	s.mu.Lock()
	s.reserved -= need
	if err == nil {
		s.insert(s.newMessage(&meta, off, len(line), off+int64(len(line))))
	}
	s.mu.Unlock()
	if err != nil {
		s.setError("put", err)
		if errors.Is(err, ErrFull) { // ENOSPC or EDQUOT from the filesystem
			s.refuse(FullDisk, need)
		}
		return Meta{}, err
	}
	s.log.Info("store: stored", "id", meta.ID, "bytes", meta.Size, "parts", len(meta.Parts), "sender", meta.Sender.Number, "source", meta.Sender.Source)
	s.publish(Event{Kind: Stored, Meta: meta})
	return meta, nil
}

func validate(in Incoming) error {
	switch {
	case in.Msg == nil:
		return fmt.Errorf("%w: no decoded message", ErrInvalid)
	case len(in.PDU) == 0:
		return fmt.Errorf("%w: empty PDU", ErrInvalid)
	case len(in.PDU) > MaxPDUSize:
		return fmt.Errorf("%w: %d bytes (limit %d)", ErrTooLarge, len(in.PDU), MaxPDUSize)
	}
	return nil
}

// allocSeq hands out the next sequence number. A Put that fails later
// leaves a gap, which is harmless.
func (s *Store) allocSeq() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	seq := s.nextSeq
	s.nextSeq++
	return seq
}

// reserve checks the quota and the free-space floor for need more bytes,
// counting the Puts already in flight, and reserves them. A refusal for
// space says which limit (FullQuota, FullDisk).
func (s *Store) reserve(need int64) (full string, err error) {
	free := int64(-1)
	if s.cfg.MinFree > 0 {
		if free, err = s.fs.Free(s.dir); err != nil {
			return "", fmt.Errorf("store: free space: %w", err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if q := s.cfg.MaxBytes; q > 0 && s.bytes+s.reserved+need > q {
		return FullQuota, fmt.Errorf("%w: quota of %d bytes reached (%d stored, %d in flight, %d needed)",
			ErrFull, q, s.bytes, s.reserved, need)
	}
	if s.cfg.MinFree > 0 && free-s.reserved-need < s.cfg.MinFree {
		return FullDisk, fmt.Errorf("%w: %d bytes free on the filesystem, floor is %d", ErrFull, free-s.reserved, s.cfg.MinFree)
	}
	s.reserved += need
	return "", nil
}

// refusal is a Put refused for lack of space: which limit, and the bytes
// it needed, so Stats can tell when a message of that size fits again. A
// smaller message stored since does not clear it: the phone will retry
// the refused one, which still does not fit.
type refusal struct {
	full string // FullQuota or FullDisk; "" = none
	need int64
	at   time.Time
}

func (s *Store) refuse(full string, need int64) {
	if full == "" {
		return
	}
	now := s.cfg.Now()
	s.mu.Lock()
	s.refused = refusal{full: full, need: need, at: now}
	s.mu.Unlock()
}

// stillFull reports whether the last refusal still holds with free bytes
// free: the owner may have deleted messages, raised the quota's room or
// freed the disk since. Called with s.mu held.
func (s *Store) stillFull(free int64) bool {
	r := s.refused
	switch r.full {
	case FullQuota:
		return s.bytes+r.need > s.cfg.MaxBytes
	case FullDisk:
		return free < 0 || free-r.need < max(s.cfg.MinFree, 0)
	}
	return false
}

// commit appends a new message's record to the log, its line and then
// its PDU, and waits for a sync that covers it (shared with concurrent
// Puts and changes). If the sync fails, the record may or may not have
// reached the card: a del line retracts it. off is where the record
// starts in the log.
func (s *Store) commit(m *Meta, line, pdu []byte) (off int64, err error) {
	off, err = s.msgs.append(line, pdu, newline)
	if err != nil {
		return 0, classify("append message", err)
	}
	if err := s.msgs.commit(); err != nil {
		s.retract(m.ID)
		return 0, classify("sync message", err)
	}
	return off, nil
}

var newline = []byte{'\n'}

// retract undoes a Put whose record is in the log but whose sync
// failed: a del line, synced. If that fails too, Open finds the record:
// whole, it is listed (a message the phone will send again), torn, it
// is cut off.
func (s *Store) retract(id string) {
	del, err := encodeRecord(record{Del: id})
	if err == nil {
		if _, err = s.msgs.append(del); err == nil {
			err = s.msgs.commit()
		}
	}
	if err != nil {
		s.log.Error("store: cannot retract failed put", "id", id, "err", err)
	}
}
