package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

const (
	pduExt      = ".mms"
	metaExt     = ".json"
	seqFile     = "seq"
	damagedDir  = "damaged"
	maxMetaSize = 4 << 20 // a metadata file larger than this is damaged; Put never writes one
)

// entryFiles is what the directory scan found for one id.
type entryFiles struct {
	pdu, meta         bool
	pduSize, metaSize int64
}

// recover cleans crash leftovers and rebuilds the index. It runs in Open
// before the store is shared, so it takes no lock.
func (s *Store) recover() error {
	mark, err := s.readSeqMark()
	if err != nil {
		return err
	}
	s.seqMark = mark
	s.removeTemps(s.dir)
	s.nextSeq = max(mark, s.highestDamagedSeq()) + 1
	entries, err := s.scan()
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(entries))
	for id := range entries {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	removed := false
	for _, id := range ids {
		seq, _ := parseID(id)
		s.nextSeq = max(s.nextSeq, seq+1)
		if s.recoverEntry(id, entries[id]) {
			removed = true
		}
	}
	s.sortOrder()
	if removed {
		if err := s.fs.SyncDir(s.msgDir); err != nil {
			return fmt.Errorf("store: open: %w", err)
		}
	}
	s.log.Info("store: opened", "dir", s.dir, "messages", len(s.order), "bytes", s.bytes, "nextSeq", s.nextSeq)
	return nil
}

// scan lists the message directory, removes temporary files and groups
// the rest by id. Names that are neither are left alone and logged.
func (s *Store) scan() (map[string]*entryFiles, error) {
	des, err := os.ReadDir(s.msgDir)
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	entries := make(map[string]*entryFiles)
	for _, de := range des {
		name := de.Name()
		if strings.HasPrefix(name, tempPrefix) {
			s.removeLeftover(name, "temporary file")
			continue
		}
		ext := filepath.Ext(name)
		id := strings.TrimSuffix(name, ext)
		if (ext != pduExt && ext != metaExt) || !ValidID(id) || !de.Type().IsRegular() {
			s.log.Warn("store: unexpected file in message directory", "name", name)
			continue
		}
		info, err := de.Info()
		if err != nil {
			return nil, fmt.Errorf("store: open: %w", err)
		}
		e := entries[id]
		if e == nil {
			e = &entryFiles{}
			entries[id] = e
		}
		if ext == pduExt {
			e.pdu, e.pduSize = true, info.Size()
		} else {
			e.meta, e.metaSize = true, info.Size()
		}
	}
	return entries, nil
}

// recoverEntry indexes one complete entry, or removes or quarantines an
// incomplete one. It reports whether it changed the directory.
func (s *Store) recoverEntry(id string, e *entryFiles) bool {
	switch {
	case e.pdu && !e.meta:
		// The metadata rename is the commit point: without it Put never
		// returned success (or Delete had begun), so the phone was never
		// told Ok and will send again. Keeping it would duplicate it.
		s.removeLeftover(id+pduExt, "PDU without metadata (never committed, or deletion interrupted)")
		return true
	case e.meta && !e.pdu:
		// Only possible when the directory was not synced after both
		// renames, i.e. Put had not returned: never acknowledged.
		s.removeLeftover(id+metaExt, "metadata without PDU (never acknowledged)")
		return true
	}
	meta, err := s.loadMeta(id, e)
	if err != nil {
		s.quarantine(id, err)
		return true
	}
	s.account(meta, e.pduSize+e.metaSize)
	s.order = append(s.order, meta) // sorted once at the end
	return false
}

func (s *Store) loadMeta(id string, e *entryFiles) (*Meta, error) {
	if e.metaSize > maxMetaSize {
		return nil, fmt.Errorf("metadata is %d bytes", e.metaSize)
	}
	b, err := os.ReadFile(filepath.Join(s.msgDir, id+metaExt))
	if err != nil {
		return nil, err
	}
	var m Meta
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	if m.ID != id {
		return nil, fmt.Errorf("metadata names id %q", m.ID)
	}
	if m.Size != e.pduSize {
		return nil, fmt.Errorf("metadata says %d PDU bytes, file has %d", m.Size, e.pduSize)
	}
	m.seq, _ = parseID(id)
	return &m, nil
}

// removeTemps removes temporary files (of the sequence file) in dir.
func (s *Store) removeTemps(dir string) {
	des, _ := os.ReadDir(dir)
	for _, de := range des {
		if strings.HasPrefix(de.Name(), tempPrefix) {
			s.removeLeftoverIn(dir, de.Name(), "temporary file")
		}
	}
}

func (s *Store) removeLeftover(name, why string) { s.removeLeftoverIn(s.msgDir, name, why) }

func (s *Store) removeLeftoverIn(dir, name, why string) {
	err := s.fs.Remove(filepath.Join(dir, name))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.log.Error("store: cannot remove crash leftover", "name", name, "why", why, "err", err)
		return
	}
	s.log.Warn("store: removed crash leftover", "name", name, "why", why)
}

// quarantine moves an entry whose metadata cannot be trusted to
// <dir>/damaged/ so that the owner can look at it; nothing is deleted.
func (s *Store) quarantine(id string, cause error) {
	s.log.Error("store: damaged entry moved aside", "id", id, "dir", damagedDir, "err", cause)
	dst := filepath.Join(s.dir, damagedDir)
	if err := os.MkdirAll(dst, 0o750); err != nil {
		s.log.Error("store: cannot quarantine", "id", id, "err", err)
		return
	}
	for _, ext := range []string{pduExt, metaExt} {
		err := s.fs.Rename(filepath.Join(s.msgDir, id+ext), filepath.Join(dst, id+ext))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.log.Error("store: cannot quarantine", "id", id, "err", err)
		}
	}
	if err := s.fs.SyncDir(dst); err != nil {
		s.log.Error("store: sync quarantine", "err", err)
	}
}

// highestDamagedSeq keeps quarantined ids from being issued again.
func (s *Store) highestDamagedSeq() uint64 {
	des, _ := os.ReadDir(filepath.Join(s.dir, damagedDir))
	var hi uint64
	for _, de := range des {
		name := de.Name()
		if seq, err := parseID(strings.TrimSuffix(name, filepath.Ext(name))); err == nil {
			hi = max(hi, seq)
		}
	}
	return hi
}

// readSeqMark reads the sequence high-water mark that Delete persists so
// that the id of a deleted newest message is not issued again.
func (s *Store) readSeqMark() (uint64, error) {
	b, err := os.ReadFile(filepath.Join(s.dir, seqFile))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: open: %w", err)
	}
	v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		s.log.Error("store: sequence file unreadable; continuing from the messages present", "err", err)
		return 0, nil
	}
	return v, nil
}

// writeSeqMark persists seq as the high-water mark (atomically, durably).
func (s *Store) writeSeqMark(seq uint64) error {
	if err := writeFile(s.fs, filepath.Join(s.dir, seqFile), []byte(strconv.FormatUint(seq, 10)+"\n")); err != nil {
		return err
	}
	return s.fs.SyncDir(s.dir)
}
