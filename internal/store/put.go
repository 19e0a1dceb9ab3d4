package store

import (
	"fmt"
	"path/filepath"
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
	s.interner.meta(&meta)
	meta.seq = s.allocSeq()
	meta.Received = s.cfg.Now()
	meta.ClockSynced = s.cfg.ClockSynced()
	meta.ID = makeID(meta.Received, meta.seq)
	line, err := putRecord(&meta)
	if err != nil {
		return Meta{}, err
	}
	need := meta.Size + int64(len(line))
	if err := s.reserve(need); err != nil {
		s.setError("put", err)
		return Meta{}, err
	}
	err = s.commit(meta.ID, in.PDU, line)
	s.mu.Lock()
	s.reserved -= need
	if err == nil {
		s.insert(&meta, need)
	}
	s.mu.Unlock()
	if err != nil {
		s.setError("put", err)
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
// counting the Puts already in flight, and reserves them.
func (s *Store) reserve(need int64) error {
	free := int64(-1)
	if s.cfg.MinFree > 0 {
		var err error
		if free, err = s.fs.Free(s.dir); err != nil {
			return fmt.Errorf("store: free space: %w", err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if q := s.cfg.MaxBytes; q > 0 && s.bytes+s.reserved+need > q {
		return fmt.Errorf("%w: quota of %d bytes reached (%d stored, %d in flight, %d needed)",
			ErrFull, q, s.bytes, s.reserved, need)
	}
	if s.cfg.MinFree > 0 && free-s.reserved-need < s.cfg.MinFree {
		return fmt.Errorf("%w: %d bytes free on the filesystem, floor is %d", ErrFull, free-s.reserved, s.cfg.MinFree)
	}
	s.reserved += need
	return nil
}

// commit makes a new message durable: the PDU is written under its final
// name, and its data (fdatasync) and its name (the directory's fsync,
// shared with concurrent Puts) are made durable at the same time; only
// then is its metadata line appended to the journal (the commit point)
// and synced (shared too). See the package documentation for why this
// order keeps every acknowledged message across a power cut. On failure
// it removes the PDU; whatever a crash leaves is cleaned by Open.
func (s *Store) commit(id string, pdu, line []byte) error {
	pduPath := filepath.Join(s.msgDir, id+pduExt)
	f, err := s.fs.Create(pduPath)
	if err != nil {
		return classify("write PDU", err)
	}
	// The directory entry exists now: its sync can start while the data
	// is written out. Both finish before the line is appended.
	dirErr := make(chan error, 1)
	go func() { dirErr <- s.dirSync.wait() }()
	err = finish(s.fs, f, pduPath, pdu)
	derr := <-dirErr
	switch {
	case err != nil:
		return classify("write PDU", err)
	case derr != nil:
		s.undo(pduPath)
		return classify("sync directory", derr)
	}
	if err := s.journal.append(line); err != nil {
		s.undo(pduPath)
		return classify("append metadata", err)
	}
	if err := s.journal.commit(); err != nil {
		// The line may yet reach the disk: without its PDU, Open drops
		// it. Say so in the journal too, in case the removal fails.
		if del, derr := encodeRecord(record{Del: id}); derr == nil {
			s.journal.append(del)
		}
		s.undo(pduPath)
		return classify("sync metadata", err)
	}
	return nil
}

// undo removes the PDU of a failed Put. One it cannot remove is cleaned
// by the next Open (a PDU without metadata).
func (s *Store) undo(path string) {
	if err := s.fs.Remove(path); err != nil {
		s.log.Error("store: cannot remove after failed put", "path", path, "err", err)
	}
}
