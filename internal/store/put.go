package store

import (
	"encoding/json"
	"fmt"
	"path/filepath"
)

// metaReserve is what Put reserves for the metadata file before it knows
// its exact size.
const metaReserve = 16 << 10

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
	need := meta.Size + metaReserve
	seq, err := s.reserve(need)
	if err != nil {
		s.setError("put", err)
		return Meta{}, err
	}
	meta.seq = seq
	meta.Received = s.cfg.Now()
	meta.ClockSynced = s.cfg.ClockSynced()
	meta.ID = makeID(meta.Received, seq)

	metaBytes, err := s.commit(&meta, in.PDU)
	s.mu.Lock()
	s.reserved -= need
	if err == nil {
		s.insert(&meta, meta.Size+metaBytes)
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

// reserve checks the quota and the free-space floor for need more bytes,
// counting the Puts already in flight, and allocates a sequence number.
func (s *Store) reserve(need int64) (uint64, error) {
	free, ferr := int64(-1), error(nil)
	if s.cfg.MinFree > 0 {
		free, ferr = s.fs.Free(s.dir)
		if ferr != nil {
			return 0, fmt.Errorf("store: free space: %w", ferr)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if q := s.cfg.MaxBytes; q > 0 && s.bytes+s.reserved+need > q {
		return 0, fmt.Errorf("%w: quota of %d bytes reached (%d stored, %d in flight, %d needed)",
			ErrFull, q, s.bytes, s.reserved, need)
	}
	if s.cfg.MinFree > 0 && free-s.reserved-need < s.cfg.MinFree {
		return 0, fmt.Errorf("%w: %d bytes free on the filesystem, floor is %d", ErrFull, free-s.reserved, s.cfg.MinFree)
	}
	s.reserved += need
	seq := s.nextSeq
	s.nextSeq++
	return seq, nil
}

// commit writes the PDU, then the metadata (the commit point), then
// syncs the directory so that both renames are durable. On failure it
// removes what it renamed into place; whatever a crash leaves is cleaned
// by Open. It returns the size of the metadata file.
func (s *Store) commit(meta *Meta, pdu []byte) (int64, error) {
	mb, err := json.MarshalIndent(meta, "", "\t")
	if err != nil {
		return 0, fmt.Errorf("store: put: %w", err)
	}
	mb = append(mb, '\n')
	pduPath := filepath.Join(s.msgDir, meta.ID+pduExt)
	metaPath := filepath.Join(s.msgDir, meta.ID+metaExt)
	if err := writeFile(s.fs, pduPath, pdu); err != nil {
		return 0, classify("write PDU", err)
	}
	if err := writeFile(s.fs, metaPath, mb); err != nil {
		s.undo(pduPath)
		return 0, classify("write metadata", err)
	}
	if err := s.fs.SyncDir(s.msgDir); err != nil {
		// Both renames may yet reach the disk and would then look like
		// a committed entry: remove them and try to make that durable.
		s.undo(metaPath, pduPath)
		if serr := s.fs.SyncDir(s.msgDir); serr != nil {
			s.log.Error("store: sync after failed put", "err", serr)
		}
		return 0, classify("sync directory", err)
	}
	return int64(len(mb)), nil
}

// undo removes files a failed Put renamed into place. A PDU it cannot
// remove is cleaned by the next Open (a PDU without metadata).
func (s *Store) undo(paths ...string) {
	for _, p := range paths {
		if err := s.fs.Remove(p); err != nil {
			s.log.Error("store: cannot remove after failed put", "path", p, "err", err)
		}
	}
}
