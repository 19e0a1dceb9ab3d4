package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"time"
)

// Put stores a message and returns its metadata once the PDU and the
// metadata are both durable on disk. ErrFull (quota, free-space floor,
// ENOSPC or EDQUOT) is transient: nothing was kept and the sender may
// retry later. Any error means nothing was kept.
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
	pinned := false
	defer func() {
		if !pinned {
			s.settle(meta.seq)
		}
	}()
	meta.Received = s.cfg.Now()
	meta.ClockSynced = s.cfg.ClockSynced()
	meta.ID = makeID(meta.Received, meta.seq)
	// The line is encoded before the PDU's sha256 is known, with a
	// placeholder of the same length: the quota needs its length now,
	// commit writes the sum over the placeholder.
	meta.SHA256 = placeholderSum
	line, err := encodeRecord(record{Put: &meta, W: s.watermark()})
	if err != nil {
		return Meta{}, err
	}
	need := meta.Size + int64(len(line))
	if kind, err := s.reserve(need); err != nil {
		s.setError("put", err)
		s.refuse(kind, need)
		return Meta{}, err
	}
	off, pinned, err := s.commit(&meta, line, in.PDU)
	s.mu.Lock()
	s.reserved -= need
	if err == nil {
		s.insert(newEntry(&meta, off, len(line)))
		s.refused = refusal{}
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
	s.notify(Event{Kind: Stored, Meta: meta})
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

// allocSeq hands out the next sequence number and counts it unsynced
// until its Put calls settle. A Put that fails later leaves a gap, which
// is harmless.
func (s *Store) allocSeq() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	seq := s.nextSeq
	s.nextSeq++
	s.unsynced = append(s.unsynced, seq) // ascending: seq is the largest yet
	return seq
}

// watermark is the lowest sequence whose PDU is not known durable: every
// Put below it has synced its PDU, or failed and made its retraction
// durable. A journal line records it ("w") so that Open knows which
// lines it need not check (see commit).
func (s *Store) watermark() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.unsynced) == 0 {
		return s.nextSeq
	}
	return s.unsynced[0]
}

// settle removes seq from the unsynced sequences.
func (s *Store) settle(seq uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i, ok := slices.BinarySearch(s.unsynced, seq); ok {
		s.unsynced = slices.Delete(s.unsynced, i, i+1)
	}
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
// it needed, so Stats can tell when a message of that size fits again.
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

// commit makes a new message durable in one round of syncs: it writes
// the PDU under its final name and starts its fdatasync; while the
// card works it hashes the PDU into m.SHA256 and into line (m's put
// record, encoded with placeholderSum) and appends line to the journal;
// then it syncs the PDU's name (the directory's fsync) and the
// line (the journal's fdatasync), both shared with concurrent Puts, and
// waits for all three syncs. The line can thus reach the card before
// the PDU does; Open checks the PDU of every line the watermark does
// not cover (see the package documentation). On failure it removes the
// PDU and retracts the line; pin is true when that retraction could not
// be made durable, and the caller must then keep its sequence unsynced,
// so that no later line claims it was. off is where the line starts in
// the journal.
func (s *Store) commit(m *Meta, line, pdu []byte) (off int64, pin bool, err error) {
	pduPath := filepath.Join(s.msgDir, m.ID+pduExt)
	f, err := s.fs.Create(pduPath)
	if err != nil {
		return 0, false, classify("write PDU", err)
	}
	if _, err := f.Write(pdu); err != nil {
		f.Close() // already failing; the close error adds nothing
		return 0, false, classify("write PDU", removeAfter(s.fs, pduPath, err))
	}
	pduErr := make(chan error, 1)
	go func() {
		err := f.Sync()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		pduErr <- err
	}()
	m.SHA256 = pduSum(pdu)
	err = setSum(line, m.SHA256)
	if err == nil {
		off, err = s.journal.append(line)
	}
	if err != nil {
		<-pduErr
		return 0, false, classify("append metadata", removeAfter(s.fs, pduPath, err))
	}
	dirErr := make(chan error, 1)
	go func() { dirErr <- s.dirSync.wait() }()
	lerr := s.journal.commit()
	perr, derr := <-pduErr, <-dirErr
	switch {
	case perr != nil:
		err = classify("write PDU", perr)
	case derr != nil:
		err = classify("sync directory", derr)
	case lerr != nil:
		err = classify("sync metadata", lerr)
	default:
		return off, false, nil
	}
	return 0, !s.retract(m.ID, pduPath), err
}

// retract undoes a Put whose line is in the journal: the PDU is removed
// first (a line without its PDU is dropped by Open), then a del line is
// appended and synced, in case the removal failed. It reports whether
// the retraction is durable.
func (s *Store) retract(id, pduPath string) bool {
	s.undo(pduPath)
	del, err := encodeRecord(record{Del: id})
	if err == nil {
		if _, err = s.journal.append(del); err == nil {
			err = s.journal.commit()
		}
	}
	if err != nil {
		s.log.Error("store: cannot retract failed put; Open will check its PDU", "id", id, "err", err)
		return false
	}
	return true
}

// undo removes the PDU of a failed Put. One it cannot remove is cleaned
// by the next Open (a PDU without metadata).
func (s *Store) undo(path string) {
	if err := s.fs.Remove(path); err != nil {
		s.log.Error("store: cannot remove after failed put", "path", path, "err", err)
	}
}
