package store

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"golang.org/x/sys/unix"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

const (
	damagedDir    = "damaged"
	maxRecordSize = 4 << 20 // a line larger than this is refused; Put never writes one
)

func (s *Store) logPath() string { return filepath.Join(s.dir, logName) }

// recover imports a store of the earlier layout, reads the log into the
// index, cuts off a torn end, sets damage aside, compacts the log when
// it must or when most of it is dead, and opens it for appending. It
// runs in Open before the store is shared, so it takes no lock.
func (s *Store) recover() error {
	s.removeTemps(s.dir)
	s.removeTemps(filepath.Join(s.dir, damagedDir)) // a copy cut short
	s.removeTemps(s.msgDir)                         // the earlier layout's
	if err := s.importLegacy(); err != nil {
		return fmt.Errorf("store: open: import the earlier layout: %w", err)
	}
	f, err := os.OpenFile(s.logPath(), os.O_RDONLY|os.O_CREATE, 0o640)
	if err != nil {
		return fmt.Errorf("store: open: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("store: open: %w", err)
	}
	// The scan reads each record's line and the newline after its PDU,
	// stepping over the PDU: readahead would read the PDUs too.
	_ = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_RANDOM)
	ck := s.loadCheckpoint(f, info)
	sc, err := s.scanLog(f, ck, info.Size())
	if err != nil {
		return fmt.Errorf("store: open: %w", err)
	}
	s.ckptAt, s.junk = -1, sc.end-sc.total
	if ck != nil {
		s.ckptAt = ck.at
	}
	s.ckptFile = s.ckptAt
	s.nextSeq = max(s.highestDamagedSeq(), sc.hiSeq) + 1
	// Room for an eighth more messages: growing the index copies it, and
	// the old array stays garbage until the next collection (2 MB at
	// 20,000 messages, RSS right after the first Put).
	s.entries = slices.AppendSeq(make([]entry, 0, withRoom(len(sc.live))), maps.Values(sc.live))
	s.sortIndex()
	// What the scan added for deleted messages goes.
	s.texts = s.texts.compact(s.entries)
	for _, e := range s.entries {
		s.account(e)
	}
	size := sc.end
	if sc.end < info.Size() {
		if err := s.cutTail(sc.end); err != nil {
			return fmt.Errorf("store: open: %w", err)
		}
	}
	last := sc.last
	if s.mustCompact(sc) {
		if size, last, err = s.compact(f); err != nil {
			return fmt.Errorf("store: open: compact the log: %w", err)
		}
		s.ckptAt, s.ckptFile, s.junk = -1, -1, 0
	}
	if s.msgs, err = openLog(s.fs, s.logPath(), size, last); err != nil {
		return fmt.Errorf("store: open: %w", err)
	}
	if info.Size() == 0 {
		// A new log: make its name durable before the first Put relies on it.
		if err := s.fs.SyncDir(s.dir); err != nil {
			return fmt.Errorf("store: open: %w", err)
		}
	}
	s.log.Info("store: opened", "dir", s.dir, "messages", len(s.entries), "bytes", s.bytes, "log_bytes", size,
		"read_from", sc.from, "records_read", sc.records, "nextSeq", s.nextSeq)
	if sc.records >= ckptAfterRecords {
		// A start that had to read this much of the log (the last stop
		// was a power cut, or Open compacted or imported the log) leaves
		// a checkpoint, so that the next start, even after another cut,
		// reads only what comes after this one.
		s.writeCheckpoint()
	}
	return nil
}

// ckptAfterRecords is how many records Open reads from the log (rather
// than from a checkpoint) before it writes a checkpoint itself: about
// 0.1 s of random reads on a cold card, and 2 MB written per start at
// 20,000 messages, only after a start that was slow. A variable for
// the tests.
var ckptAfterRecords = 512

// logScan is what Open read from the log.
type logScan struct {
	live    map[idKey]entry // latest metadata of each message not deleted since, by id
	deleted int             // del records
	hiSeq   uint64          // highest sequence named anywhere
	end     int64           // where the trusted records end; the rest is cut off
	damaged bool            // records were skipped as damage: compact them away
	total   int64           // bytes of the records kept
	from    int64           // where the reading started: 0, or a checkpoint's point
	records int             // records read from the log, after from
	last    logLine         // the line of the last record kept
}

// scanLog reads the records of the log in order into the index (see the
// package documentation, "After a crash"). A record that cannot be read
// is looked past (resync); whether it is the torn end of a write no
// sync covered, or damage, is decided once the whole log is read, by
// the highest W of the records after it. With a checkpoint ck, the
// reading starts at its point, which was synced, with its index.
func (s *Store) scanLog(f *os.File, ck *checkpoint, size int64) (*logScan, error) {
	type span struct{ from, to int64 }
	var bad []span
	type msgAt struct {
		off int64
		id  string
	}
	var unsure []msgAt // new messages' records that no W covers yet
	covered, last := int64(0), int64(-1)
	if ck != nil {
		covered = ck.at
	}
	sc, err := s.readRecords(f, ck, size, func(off int64, rec record) {
		last = off
		if rec.Msg != nil {
			unsure = append(unsure, msgAt{off, rec.Msg.ID})
		}
		if rec.W > covered {
			covered = rec.W
			i, _ := slices.BinarySearchFunc(unsure, covered, func(m msgAt, w int64) int { return cmp.Compare(m.off, w) })
			unsure = unsure[i:]
		}
	}, func(from, to int64) { bad = append(bad, span{from, to}) })
	if err != nil {
		return nil, err
	}
	cut := size
	for _, b := range bad {
		if b.from < covered {
			// A later record says these bytes were synced: not a
			// write cut short but a damaged card (or an edited file).
			s.keepDamaged(f, b.from, b.to, slog.LevelError, "unreadable records in the log, which a later record says were synced: a damaged card or an edited file")
			sc.damaged = true
			continue
		}
		cut = min(cut, b.from)
	}
	for _, m := range unsure {
		// A deleted message is not checked: Delete punches a hole where
		// its PDU was once its del line is durable.
		_, live := sc.live[mustKey(m.id)]
		if live && m.off >= covered && m.off < cut && !s.pduIntact(f, m.off, size) {
			cut = m.off
			break
		}
	}
	if cut < size {
		if sc, err = s.readRecords(f, ck, cut, nil, nil); err != nil { // again, without what is cut
			return nil, err
		}
		s.reportCut(f, cut, size, last > cut)
	}
	return sc, nil
}

// readRecords applies the records of the log before size, from its
// start or from the checkpoint ck's point on ck's index: seen is called
// with each valid record, bad with each unreadable span.
func (s *Store) readRecords(f *os.File, ck *checkpoint, size int64, seen func(int64, record), bad func(from, to int64)) (*logScan, error) {
	sc := ck.scanBase(s)
	sc.from = sc.end
	buf := make([]byte, 0, 8192)
	for off := sc.end; off < size; {
		rec, line, n, err := readRecord(f, off, size, buf)
		if err != nil {
			next := resync(f, off+1, size, buf)
			if bad != nil {
				bad(off, next)
			}
			off = next
			continue
		}
		sc.apply(s, rec, off, line)
		sc.end, sc.total, sc.last = off+n, sc.total+n, logLine{off, uint32(line)}
		sc.records++
		if seen != nil {
			seen(off, rec)
		}
		off += n
	}
	return sc, nil
}

func (sc *logScan) apply(s *Store, r record, off, line int64) {
	switch {
	case r.Msg != nil:
		e := s.newMessage(r.Msg, off, int(line), off+line)
		sc.live[e.key()] = e
		sc.hiSeq = max(sc.hiSeq, r.Msg.seq)
	case r.Put != nil:
		k, valid := keyOf(r.Put.ID)
		cur, ok := sc.live[k]
		if !valid || !ok || int64(cur.size) != r.Put.Size {
			s.log.Warn("store: metadata for a message the log does not hold; ignored", "id", r.Put.ID, "offset", off)
			return
		}
		e := newEntry(r.Put, off, int(line), cur.pdu)
		e.parties, e.subject = cur.parties, cur.subject
		if s.texts.subject(cur.subject) != r.Put.Subject || s.texts.parties[cur.parties] != (parties{r.Put.Sender, strings.Join(r.Put.To, "\n")}) {
			e.parties, e.subject = s.texts.add(r.Put)
		}
		sc.live[k] = e
	case r.Del != "":
		if k, ok := keyOf(r.Del); ok {
			delete(sc.live, k)
		}
		sc.deleted++
		seq, _ := parseID(r.Del)
		sc.hiSeq = max(sc.hiSeq, seq)
	default:
		sc.hiSeq = max(sc.hiSeq, r.Seq)
	}
}

// resync returns where the next readable record after from starts, or
// size: the first line start ("\n{") from which a whole record reads.
func resync(f *os.File, from, size int64, buf []byte) int64 {
	chunk := make([]byte, 64<<10)
	for at := from; at < size; {
		n, err := f.ReadAt(chunk[:min(int64(len(chunk)), size-at)], at)
		if n == 0 && err != nil {
			return size
		}
		b := chunk[:n]
		for i := 0; ; {
			j := bytes.Index(b[i:], []byte("\n{"))
			if j < 0 {
				break
			}
			cand := at + int64(i+j) + 1
			if _, _, _, err := readRecord(f, cand, size, buf); err == nil {
				return cand
			}
			i += j + 1
		}
		at += int64(max(n-1, 1)) // a "\n{" across the chunks' edge is found next time
	}
	return size
}

// pduIntact reads the new message's record at off and reports whether
// its PDU matches the CRC of its line.
func (s *Store) pduIntact(f *os.File, off, size int64) bool {
	rec, line, _, err := readRecord(f, off, size, nil)
	if err != nil || rec.Msg == nil {
		return false
	}
	pdu := make([]byte, rec.Msg.Size)
	if _, err := f.ReadAt(pdu, off+line); err != nil {
		return false
	}
	return pduCRC(pdu) == *rec.CRC
}

// reportCut says what Open cuts off the end of the log, at the level it
// deserves: bytes after the last whole record that no sync covered are a
// write the power cut short, whose Put never returned, so no phone was
// told it was stored; that is expected after a power cut and is logged
// as a warning. When whole records were among them (written back out of
// order before the cut), a copy is kept in damaged/, in case the card
// lied about a sync.
func (s *Store) reportCut(f *os.File, cut, size int64, whole bool) {
	if whole {
		s.keepDamaged(f, cut, size, slog.LevelWarn, "whole records after a torn one at the end of the log (a power cut): written after the last sync that completed, so never acknowledged; the phones will send them again")
		return
	}
	s.log.Warn("store: cut the end of the log: a write no sync completed (a power cut or crash); no phone was told it was stored, and it will send the message again",
		"bytes", size-cut, "offset", cut)
}

// cutTail truncates the log at cut, durably.
func (s *Store) cutTail(cut int64) error {
	w, err := s.fs.OpenAppend(s.logPath())
	if err != nil {
		return err
	}
	err = w.Truncate(cut)
	if err == nil {
		err = w.Sync()
	}
	return errors.Join(err, w.Close())
}

// keepDamaged copies [from, to) of the log to damaged/ and logs why at
// level: ERROR when messages may be in it that the index no longer
// lists, WARN when they were never acknowledged.
func (s *Store) keepDamaged(f *os.File, from, to int64, level slog.Level, why string) {
	name := fmt.Sprintf("log-%d-%d.bin", from, time.Now().UnixNano())
	s.log.Log(context.Background(), level, "store: part of the log set aside", "why", why, "offset", from, "bytes", to-from, "copy", filepath.Join(damagedDir, name))
	dst, ok := s.damagedDir()
	if !ok {
		return
	}
	b := make([]byte, to-from)
	if _, err := f.ReadAt(b, from); err != nil && err != io.EOF {
		s.log.Error("store: cannot read the damaged part", "err", err)
		return
	}
	if err := writeFile(s.fs, dst, name, b); err != nil {
		s.log.Error("store: cannot keep the damaged part", "err", err)
		return
	}
	if err := s.fs.SyncDir(dst); err != nil {
		s.log.Error("store: sync damaged/", "err", err)
	}
}

// mustCompact says whether Open rewrites the log: to drop damage, or
// when more of it is dead (deleted messages, superseded metadata) than
// live, and the filesystem has room for the live part beside it.
// Rewriting costs the card the live bytes once, so it waits until the
// dead bytes at least match them.
func (s *Store) mustCompact(sc *logScan) bool {
	dead := sc.total - s.bytes
	if !sc.damaged && dead <= s.bytes {
		return false
	}
	free, err := s.fs.Free(s.dir)
	if err == nil && free-s.bytes < max(s.cfg.MinFree, 0) {
		s.log.Warn("store: no room to compact the log", "dead_bytes", dead, "live_bytes", s.bytes, "free", free)
		return false
	}
	return true
}

// compact writes the log afresh: each indexed message as one record
// with its latest metadata, then the sequence mark, and replaces the old
// log atomically; it points the index at the new offsets and returns
// the new size and its last line. The index checkpoint, which names
// offsets of the old log, is removed first.
func (s *Store) compact(old *os.File) (int64, logLine, error) {
	if err := s.removeCheckpoint(); err != nil {
		return 0, logLine{}, err
	}
	f, err := s.fs.CreateTemp(s.dir, tempPrefix+logName+"-*")
	if err != nil {
		return 0, logLine{}, err
	}
	tmp := f.Name()
	size, last, err := s.writeCompacted(old, f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = s.fs.Rename(tmp, s.logPath())
	}
	if err != nil {
		return 0, logLine{}, removeAfter(s.fs, tmp, err)
	}
	if err := s.fs.SyncDir(s.dir); err != nil {
		return 0, logLine{}, err
	}
	s.log.Info("store: log compacted", "messages", len(s.entries), "bytes", size)
	return size, last, nil
}

func (s *Store) writeCompacted(old *os.File, f file) (int64, logLine, error) {
	w := bufio.NewWriterSize(f, 256<<10)
	var size int64
	var last logLine
	for i := range s.entries {
		e := &s.entries[i]
		m, err := s.loadFrom(old, *e)
		if err != nil {
			return 0, last, err
		}
		pdu := make([]byte, e.size)
		if _, err := old.ReadAt(pdu, e.pdu); err != nil {
			return 0, last, err
		}
		line, err := msgRecord(&m, pdu, 0)
		if err != nil {
			return 0, last, err
		}
		w.Write(line)
		w.Write(pdu)
		if err := w.WriteByte('\n'); err != nil {
			return 0, last, err
		}
		last = logLine{size, uint32(len(line))}
		s.unaccount(*e)
		e.off, e.line, e.pdu = size, uint32(len(line)), size+int64(len(line))
		s.account(*e)
		size += int64(len(line)) + int64(e.size) + 1
	}
	// The mark goes last, with W saying that all before it is synced
	// (the one fdatasync of the new file covers it): Open checks none of
	// the compacted messages again.
	if hi := s.nextSeq - 1; hi > 0 {
		line, _ := encodeRecord(record{Seq: hi, W: size})
		w.Write(line)
		last = logLine{size, uint32(len(line))}
		size += int64(len(line))
	}
	return size, last, w.Flush()
}

// loadFrom reads e's metadata from the log Open found.
func (s *Store) loadFrom(f *os.File, e entry) (Meta, error) {
	b := make([]byte, e.line)
	if _, err := f.ReadAt(b, e.off); err != nil {
		return Meta{}, err
	}
	r, err := decodeRecord(bytes.TrimSuffix(b, newline))
	if err != nil {
		return Meta{}, err
	}
	return *r.meta(), nil
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

func (s *Store) removeLeftoverIn(dir, name, why string) {
	err := s.fs.Remove(filepath.Join(dir, name))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.log.Error("store: cannot remove crash leftover", "name", name, "why", why, "err", err)
		return
	}
	s.log.Info("store: removed crash leftover", "name", name, "why", why)
}

func (s *Store) damagedDir() (string, bool) {
	dst := filepath.Join(s.dir, damagedDir)
	if err := os.MkdirAll(dst, 0o750); err != nil {
		s.log.Error("store: cannot set damage aside", "err", err)
		return "", false
	}
	return dst, true
}

// highestDamagedSeq keeps the ids of messages set aside by the earlier
// layout (damaged/<id>.mms) from being issued again.
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
