package store

import (
	"bufio"
	"bytes"
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

// The earlier layouts kept one file per message under messages/
// (<id>.mms), with the metadata in journal.jsonl (one JSON line per
// change: {"put":{...Meta...},"w":N}, {"del":"<id>"}, {"seq":N}), or
// before that in messages/<id>.json beside a seq file. Open moves such a
// store into the log once.
const (
	legacyJournal = "journal.jsonl"
	legacySeq     = "seq"
	legacyMsgDir  = "messages"
	pduExt        = ".mms"
	legacyMetaExt = ".json"
)

type legacyRecord struct {
	Put *legacyMeta `json:"put,omitempty"`
	Del string      `json:"del,omitempty"`
	Seq uint64      `json:"seq,omitempty"`
}

// legacyMeta is the metadata of the earlier layouts, which recorded the
// PDU's sha256.
type legacyMeta struct {
	Meta
	SHA256 string `json:"sha256"`
}

// lineRef is where a message's latest line is in the old journal.
type lineRef struct{ off, n int64 }

// legacyStore is what the earlier layout holds.
type legacyStore struct {
	journal *os.File
	lines   map[string]lineRef // latest put of each id not deleted since
	hiSeq   uint64
	deleted map[string]bool // ids whose last record is a del
	pdus    []string        // ids with a PDU file, sorted
	metas   map[string]bool // ids with a metadata file (the oldest layout)
}

// importLegacy writes every message of the earlier layout whose PDU
// matches its metadata into a new log, then removes the old files. A
// PDU without metadata, or that does not match it, goes to damaged/
// (nothing the owner had is deleted). The new log is written under a
// temporary name and renamed when whole, so a crash leaves either the
// old layout (imported again) or the log (and the old files, removed).
func (s *Store) importLegacy() error {
	old, err := s.readLegacy()
	if old == nil || err != nil {
		return err
	}
	if old.journal != nil {
		defer old.journal.Close()
	}
	if _, err := os.Stat(s.logPath()); err == nil {
		s.log.Info("store: removing the earlier layout, imported already")
		return s.removeLegacy(old)
	}
	f, err := s.fs.CreateTemp(s.dir, tempPrefix+logName+"-*")
	if err != nil {
		return err
	}
	n, size, err := s.writeImport(old, f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = s.fs.Rename(f.Name(), s.logPath())
	}
	if err != nil {
		return removeAfter(s.fs, f.Name(), err)
	}
	if err := s.fs.SyncDir(s.dir); err != nil {
		return err
	}
	s.log.Info("store: imported the earlier layout into the log", "messages", n, "bytes", size)
	return s.removeLegacy(old)
}

// readLegacy reads the earlier layout's journal and lists its message
// directory; nil when there is none.
func (s *Store) readLegacy() (*legacyStore, error) {
	des, err := os.ReadDir(s.msgDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	old := &legacyStore{lines: map[string]lineRef{}, deleted: map[string]bool{}, metas: map[string]bool{}}
	for _, de := range des {
		name := de.Name()
		ext := filepath.Ext(name)
		id := strings.TrimSuffix(name, ext)
		switch {
		case !ValidID(id) || !de.Type().IsRegular():
		case ext == pduExt:
			old.pdus = append(old.pdus, id)
		case ext == legacyMetaExt:
			old.metas[id] = true
		}
	}
	slices.Sort(old.pdus)
	if b, err := os.ReadFile(filepath.Join(s.dir, legacySeq)); err == nil {
		old.hiSeq, _ = strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	}
	old.journal, err = os.Open(filepath.Join(s.dir, legacyJournal))
	if errors.Is(err, fs.ErrNotExist) {
		return old, nil
	}
	if err != nil {
		return nil, err
	}
	return old, old.parse()
}

// parse reads the old journal's lines, keeping where each message's
// latest put is. An unreadable line is skipped: its message, if any,
// goes to damaged/ as a PDU without metadata.
func (old *legacyStore) parse() error {
	br := bufio.NewReaderSize(old.journal, 64<<10)
	var off int64
	for {
		line, err := br.ReadBytes('\n')
		n := int64(len(line))
		if len(line) > 0 && line[len(line)-1] == '\n' {
			var r legacyRecord
			if json.Unmarshal(line, &r) == nil {
				old.apply(r, off, n)
			}
		}
		off += n
		if err != nil {
			return nil // io.EOF, or a read error: what was read is imported
		}
	}
}

func (old *legacyStore) apply(r legacyRecord, off, n int64) {
	var id string
	switch {
	case r.Put != nil:
		id = r.Put.ID
		old.lines[id] = lineRef{off, n}
		delete(old.deleted, id)
	case r.Del != "":
		id = r.Del
		delete(old.lines, id)
		old.deleted[id] = true
	default:
		old.hiSeq = max(old.hiSeq, r.Seq)
	}
	if seq, err := parseID(id); err == nil {
		old.hiSeq = max(old.hiSeq, seq)
	}
}

// writeImport writes each message with a PDU and matching metadata into
// f as a log, and the sequence mark last.
func (s *Store) writeImport(old *legacyStore, f file) (n int, size int64, err error) {
	w := bufio.NewWriterSize(f, 256<<10)
	for _, id := range old.pdus {
		seq, _ := parseID(id)
		old.hiSeq = max(old.hiSeq, seq)
		if old.deleted[id] {
			continue // a deletion cut short: removed with the rest
		}
		m, pdu, why := s.legacyMessage(old, id)
		if why != "" {
			s.setAside(id, why)
			continue
		}
		m.seq = seq
		line, err := msgRecord(m, pdu, 0)
		if err != nil {
			return 0, 0, err
		}
		w.Write(line)
		w.Write(pdu)
		if err := w.WriteByte('\n'); err != nil {
			return 0, 0, err
		}
		size += int64(len(line)+len(pdu)) + 1
		n++
	}
	if old.hiSeq > 0 {
		line, _ := encodeRecord(record{Seq: old.hiSeq, W: size})
		w.Write(line)
		size += int64(len(line))
	}
	return n, size, w.Flush()
}

// legacyMessage reads the metadata and PDU of id, or says why not.
func (s *Store) legacyMessage(old *legacyStore, id string) (*Meta, []byte, string) {
	m, err := old.meta(s.msgDir, id)
	if err != nil {
		return nil, nil, fmt.Sprintf("its metadata is unreadable: %v", err)
	}
	if m == nil {
		return nil, nil, "PDU without metadata"
	}
	pdu, err := os.ReadFile(filepath.Join(s.msgDir, id+pduExt))
	switch {
	case err != nil:
		return nil, nil, err.Error()
	case int64(len(pdu)) != m.Size:
		return nil, nil, fmt.Sprintf("metadata says %d PDU bytes, file has %d", m.Size, len(pdu))
	case m.SHA256 != "" && m.SHA256 != pduSum(pdu):
		return nil, nil, "PDU does not match the sha256 of its metadata"
	}
	return &m.Meta, pdu, ""
}

// meta is id's metadata: its journal line, or its own file in the
// oldest layout; nil if neither.
func (old *legacyStore) meta(dir, id string) (*legacyMeta, error) {
	var b []byte
	if ref, ok := old.lines[id]; ok {
		b = make([]byte, ref.n)
		if _, err := old.journal.ReadAt(b, ref.off); err != nil {
			return nil, err
		}
		var r legacyRecord
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, err
		}
		if r.Put == nil || r.Put.ID != id {
			return nil, fmt.Errorf("journal line names another message")
		}
		return r.Put, nil
	}
	if !old.metas[id] {
		return nil, nil
	}
	b, err := os.ReadFile(filepath.Join(dir, id+legacyMetaExt))
	if err != nil {
		return nil, err
	}
	var m legacyMeta
	if err := json.Unmarshal(bytes.TrimSpace(b), &m); err != nil {
		return nil, err
	}
	if m.ID != id {
		return nil, fmt.Errorf("metadata names id %q", m.ID)
	}
	return &m, nil
}

// setAside moves the files of id in the earlier layout to damaged/.
func (s *Store) setAside(id, why string) {
	s.log.Error("store: message of the earlier layout set aside, not imported", "id", id, "why", why, "dir", damagedDir)
	dst, ok := s.damagedDir()
	if !ok {
		return
	}
	for _, name := range []string{id + pduExt, id + legacyMetaExt} {
		err := s.fs.Rename(filepath.Join(s.msgDir, name), filepath.Join(dst, name))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.log.Error("store: cannot set aside", "name", name, "err", err)
		}
	}
	if err := s.fs.SyncDir(dst); err != nil {
		s.log.Error("store: sync damaged/", "err", err)
	}
}

// removeLegacy removes the files of the earlier layout, now in the log.
func (s *Store) removeLegacy(old *legacyStore) error {
	var paths []string
	for _, id := range old.pdus {
		paths = append(paths, filepath.Join(s.msgDir, id+pduExt))
	}
	for id := range old.metas {
		paths = append(paths, filepath.Join(s.msgDir, id+legacyMetaExt))
	}
	paths = append(paths, filepath.Join(s.dir, legacyJournal), filepath.Join(s.dir, legacySeq))
	for _, p := range paths {
		if err := s.fs.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if err := os.Remove(s.msgDir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.log.Warn("store: the earlier layout's messages/ is not empty; left alone", "err", err)
	}
	return s.fs.SyncDir(s.dir)
}
