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
	"time"
)

const (
	pduExt        = ".mms"
	legacyMetaExt = ".json" // one metadata file per message, before the journal
	seqFile       = "seq"   // sequence mark of stores before the journal; read, never written
	damagedDir    = "damaged"
	maxRecordSize = 4 << 20 // a journal line larger than this is refused; Put never writes one
)

// entryFiles is what the directory scan found for one id.
type entryFiles struct {
	pdu, legacy         bool
	pduSize, legacySize int64
}

// recovery is the state of Open while it repairs the directory.
type recovery struct {
	old     *os.File // the journal as Open found it; nil if none
	j       *parsedJournal
	files   map[string]*entryFiles
	dirty   bool     // the journal must be rewritten (compacted)
	legacy  []string // legacy metadata files to remove once compacted
	removed bool     // names were removed from the message directory
	// orphansSuspect: PDUs without a line may be messages whose line is
	// lost (a damaged journal, or none at all — removed by hand, or a
	// backup restored without it): keep them in damaged/, never delete.
	orphansSuspect bool
	// imported is the metadata read from legacy files; compaction
	// writes their lines, so their index entries have no offset until then.
	imported map[string]*Meta
}

// recover cleans crash leftovers, rebuilds the index from the journal
// and the PDUs present, compacts the journal when it holds anything but
// the live messages, and opens it for appending. It runs in Open before
// the store is shared, so it takes no lock.
func (s *Store) recover() error {
	mark, err := s.readSeqMark()
	if err != nil {
		return err
	}
	s.removeTemps(s.dir)
	s.removeTemps(filepath.Join(s.dir, damagedDir)) // a quarantine cut short
	jpath := filepath.Join(s.dir, journalName)
	r, err := readJournal(jpath)
	if err != nil {
		return fmt.Errorf("store: open: %w", err)
	}
	defer r.close()
	// Superseded and del lines cost only space: compact when they
	// outnumber the live ones, not at every Open (SD wear).
	r.dirty = r.j.torn || r.j.bad > 0 || r.j.lines-len(r.j.live) > len(r.j.live)
	if r.j.bad > 0 {
		s.keepDamagedJournal(jpath, r.j.bad)
	}
	if r.files, err = s.scan(); err != nil {
		return err
	}
	s.nextSeq = max(mark, s.highestDamagedSeq(), r.j.hiSeq) + 1
	for _, id := range r.ids() {
		seq, _ := parseID(id)
		s.nextSeq = max(s.nextSeq, seq+1)
		s.recoverEntry(r, id)
	}
	s.sortIndex()
	if r.removed {
		if err := s.fs.SyncDir(s.msgDir); err != nil {
			return fmt.Errorf("store: open: %w", err)
		}
	}
	size := r.j.size
	if r.dirty {
		if size, err = s.compact(r); err != nil {
			return fmt.Errorf("store: open: compact journal: %w", err)
		}
		s.removeLegacy(r.legacy)
	}
	if s.journal, err = openJournal(s.fs, jpath, size); err != nil {
		return fmt.Errorf("store: open: %w", err)
	}
	if r.j.size == 0 && !r.dirty {
		// A new journal: make its name durable before the first Put
		// relies on its lines.
		if err := s.fs.SyncDir(s.dir); err != nil {
			return fmt.Errorf("store: open: %w", err)
		}
	}
	s.log.Info("store: opened", "dir", s.dir, "messages", len(s.entries), "bytes", s.bytes, "nextSeq", s.nextSeq)
	return nil
}

// readJournal opens the journal at path, if there is one, and parses it.
func readJournal(path string) (*recovery, error) {
	r := &recovery{imported: map[string]*Meta{}}
	f, err := os.Open(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		r.j, _ = parseJournal(strings.NewReader(""))
	case err != nil:
		return nil, err
	default:
		r.old = f
		if r.j, err = parseJournal(f); err != nil {
			f.Close()
			return nil, err
		}
	}
	r.orphansSuspect = r.j.size == 0
	return r, nil
}

func (r *recovery) close() {
	if r.old != nil {
		r.old.Close()
	}
}

// ids returns every id the journal or the directory names, sorted.
func (r *recovery) ids() []string {
	ids := make([]string, 0, len(r.files)+len(r.j.live))
	for id := range r.files {
		ids = append(ids, id)
	}
	for id := range r.j.live {
		if r.files[id] == nil {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// scan lists the message directory, removes temporary files and groups
// the PDUs and legacy metadata files by id. Other names are left alone
// and logged.
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
		if (ext != pduExt && ext != legacyMetaExt) || !ValidID(id) || !de.Type().IsRegular() {
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
			e.legacy, e.legacySize = true, info.Size()
		}
	}
	return entries, nil
}

// recoverEntry indexes one message, or removes or quarantines what a
// crash left of one.
func (s *Store) recoverEntry(r *recovery, id string) {
	f := r.files[id]
	if f == nil {
		f = &entryFiles{}
	}
	e, live := r.j.live[id]
	if !live && f.legacy && f.pdu {
		if m := s.importLegacy(r, id, f); m != nil {
			e, live = newEntry(m, -1, int(lineSize(m))), true
		}
	} else if f.legacy {
		s.removeLeftover(id+legacyMetaExt, "legacy metadata already in the journal, or without its PDU")
		r.removed = true
	}
	switch damage := s.pduDamage(r, id, e, live, f); {
	case damage != nil:
		// A new message's line that reached the card without its PDU's
		// data (a crash cut its Put short, so the phone got no Ok), or a
		// file damaged since: keep it for the owner, never index it.
		s.quarantine(id, r.meta(id, e), damage)
		r.dirty = true
	case live && f.pdu:
		s.account(e)
		s.entries = append(s.entries, e) // sorted once at the end
	case live:
		// The line reached the disk but the PDU's name did not, which
		// only happens when a crash cut the Put's syncs short: the Put
		// never returned Ok. (Or the owner removed the file by hand.)
		s.log.Warn("store: dropped metadata without its PDU (never acknowledged, or the file was removed)", "id", id)
		r.dirty = true
	case !f.pdu:
	case r.j.deleted[id]:
		s.removeLeftover(id+pduExt, "PDU of a deleted message (deletion interrupted)")
		r.removed = true
	case r.j.bad > 0 || r.orphansSuspect:
		// This may be a message whose line was lost. Keep it for the
		// owner rather than delete it.
		s.quarantine(id, nil, errors.New("PDU without metadata, and the journal is damaged or missing"))
	default:
		// Its line never reached the journal: Put had not returned,
		// the phone got no Ok and will send it again. Keeping it would
		// store it twice.
		s.removeLeftover(id+pduExt, "PDU without metadata (never committed)")
		r.removed = true
	}
}

// pduDamage says what is wrong with the PDU of a message that has both
// a line and a PDU: a size other than its line's, or, for a new message
// the watermark does not cover, content other than its sha256.
func (s *Store) pduDamage(r *recovery, id string, e entry, live bool, f *entryFiles) error {
	switch {
	case !live || !f.pdu:
		return nil
	case e.size != f.pduSize:
		return fmt.Errorf("metadata says %d PDU bytes, file has %d", e.size, f.pduSize)
	case r.j.mustCheck(id, e.seq):
		return s.checkPDU(r.meta(id, e))
	}
	return nil
}

// checkPDU reads m's PDU and compares it with the sha256 its line
// records.
func (s *Store) checkPDU(m *Meta) error {
	if m == nil {
		return errors.New("metadata unreadable")
	}
	b, err := os.ReadFile(filepath.Join(s.msgDir, m.ID+pduExt))
	if err != nil {
		return err
	}
	if pduSum(b) != m.SHA256 {
		return errors.New("PDU does not match the sha256 of its metadata: its Put was cut short, or the file was damaged")
	}
	return nil
}

// meta returns the whole metadata of the live entry e of id: imported
// from a legacy file, or read again from its line in the journal; nil if
// that fails.
func (r *recovery) meta(id string, e entry) *Meta {
	if m := r.imported[id]; m != nil {
		return m
	}
	line, err := r.line(e)
	if err != nil {
		return nil
	}
	rec, err := decodeRecord(line[:e.line-1])
	if err != nil { // parseJournal decoded it once already
		return nil
	}
	return rec.Put
}

// line reads the journal line of e, '\n' included, from the journal
// Open found.
func (r *recovery) line(e entry) ([]byte, error) {
	b := make([]byte, e.line)
	_, err := r.old.ReadAt(b, e.off)
	return b, err
}

// lineSize is the bytes the journal line of m takes.
func lineSize(m *Meta) int64 {
	line, err := putRecord(m)
	if err != nil {
		return 0
	}
	return int64(len(line))
}

// importLegacy reads the metadata file a store of the one-file-per-message
// layout kept for id; it goes into the journal when Open compacts it.
func (s *Store) importLegacy(r *recovery, id string, e *entryFiles) *Meta {
	m, err := s.loadLegacy(id, e)
	if err != nil {
		s.quarantine(id, nil, fmt.Errorf("legacy metadata unreadable: %w", err), id+legacyMetaExt)
		r.dirty = true
		return nil
	}
	r.legacy = append(r.legacy, id)
	r.imported[id] = m
	r.dirty = true
	return m
}

func (s *Store) loadLegacy(id string, e *entryFiles) (*Meta, error) {
	if e.legacySize > maxRecordSize {
		return nil, fmt.Errorf("metadata is %d bytes", e.legacySize)
	}
	b, err := os.ReadFile(filepath.Join(s.msgDir, id+legacyMetaExt))
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
	m.seq, _ = parseID(id)
	return &m, nil
}

// compact writes the journal afresh: the sequence mark, then the line of
// each indexed message, and replaces the old one atomically. A line is
// copied as Open read it, unless it carries a watermark (a compacted
// journal has none: its PDUs were checked or covered) or the message was
// imported from a legacy file: those are encoded again. It points the
// index entries at their lines in the new file and returns its size.
func (s *Store) compact(r *recovery) (int64, error) {
	var buf []byte
	if hi := s.nextSeq - 1; hi > 0 {
		buf, _ = encodeRecord(record{Seq: hi})
	}
	for i := range s.entries {
		e := &s.entries[i]
		line, err := r.compactLine(*e)
		if err != nil {
			return 0, err
		}
		s.unaccount(*e)
		e.off, e.line = int64(len(buf)), uint32(len(line))
		s.account(*e)
		buf = append(buf, line...)
	}
	if err := writeFile(s.fs, s.dir, journalName, buf); err != nil {
		return 0, err
	}
	if err := s.fs.SyncDir(s.dir); err != nil {
		return 0, err
	}
	s.log.Info("store: journal compacted", "messages", len(s.entries), "bytes", len(buf))
	return int64(len(buf)), nil
}

// compactLine is e's line for a compacted journal.
func (r *recovery) compactLine(e entry) ([]byte, error) {
	if id := e.id(); e.off < 0 || r.j.unsure[id] {
		m := r.meta(id, e)
		if m == nil {
			return nil, fmt.Errorf("metadata of %s unreadable", id)
		}
		return putRecord(m)
	}
	return r.line(e)
}

// removeLegacy removes the legacy metadata files whose contents the
// compacted journal now holds.
func (s *Store) removeLegacy(ids []string) {
	for _, id := range ids {
		s.removeLeftover(id+legacyMetaExt, "legacy metadata, now in the journal")
	}
	if len(ids) > 0 {
		if err := s.fs.SyncDir(s.msgDir); err != nil {
			s.log.Error("store: sync after removing legacy metadata", "err", err)
		}
	}
}

// removeTemps removes temporary files in dir.
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

// quarantine moves the PDU of an entry that cannot be trusted, and the
// files named in also, to <dir>/damaged/, with its metadata (if known)
// beside it as <id>.json, so that the owner can look at it; nothing is
// deleted.
func (s *Store) quarantine(id string, m *Meta, cause error, also ...string) {
	s.log.Error("store: damaged entry moved aside", "id", id, "dir", damagedDir, "err", cause)
	dst, ok := s.damagedDir()
	if !ok {
		return
	}
	if m != nil {
		if b, err := json.MarshalIndent(m, "", "\t"); err == nil {
			if err := writeFile(s.fs, dst, id+legacyMetaExt, append(b, '\n')); err != nil {
				s.log.Error("store: cannot quarantine metadata", "id", id, "err", err)
			}
		}
	}
	for _, name := range append([]string{id + pduExt}, also...) {
		s.moveAside(dst, name)
	}
	if err := s.fs.SyncDir(dst); err != nil {
		s.log.Error("store: sync quarantine", "err", err)
	}
}

func (s *Store) damagedDir() (string, bool) {
	dst := filepath.Join(s.dir, damagedDir)
	if err := os.MkdirAll(dst, 0o750); err != nil {
		s.log.Error("store: cannot quarantine", "err", err)
		return "", false
	}
	return dst, true
}

func (s *Store) moveAside(dst, name string) {
	err := s.fs.Rename(filepath.Join(s.msgDir, name), filepath.Join(dst, name))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.log.Error("store: cannot quarantine", "name", name, "err", err)
	}
}

// keepDamagedJournal copies a journal with unreadable lines to damaged/
// before Open compacts it, so that the owner can look at what was lost.
func (s *Store) keepDamagedJournal(path string, bad int) {
	name := fmt.Sprintf("journal-%d.jsonl", time.Now().UnixNano())
	s.log.Error("store: journal has unreadable lines; a copy is kept", "lines", bad, "copy", filepath.Join(damagedDir, name))
	if dst, ok := s.damagedDir(); ok {
		raw, err := os.ReadFile(path)
		if err == nil {
			err = writeFile(s.fs, dst, name, raw)
		}
		if err != nil {
			s.log.Error("store: cannot keep the damaged journal", "err", err)
		}
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

// readSeqMark reads the sequence high-water mark that stores before the
// journal kept in a file of its own.
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
