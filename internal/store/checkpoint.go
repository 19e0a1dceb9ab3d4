package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"
)

// The index checkpoint (see the package documentation, "The index
// checkpoint"): the index as it stood at a synced point of the log,
// written at Close, so that Open reads it with one sequential read and
// reads only the records after that point. It is an accelerator: any
// doubt about it and Open reads the whole log as it would without it.

const (
	ckptName    = "index.ckpt"
	ckptMagic   = "HMMSCKP1"
	ckptVersion = 1
	ckptHeader  = 80 // bytes before the entries
	entryBytes  = 64 // bytes of one entry in the file
)

// errCkpt says a checkpoint does not validate; what it wraps says why.
var errCkpt = errors.New("store: index checkpoint")

// logLine is where a line of the log is: the last record's, which a
// checkpoint names so that Open can tell that the log it covers is the
// log it finds.
type logLine struct {
	off int64
	n   uint32
}

// checkpoint is a decoded index checkpoint.
type checkpoint struct {
	at       int64  // X: the log's synced end when it was written
	ino      uint64 // the log's inode number
	last     logLine
	lastCRC  uint32 // CRC-32C of that line's bytes, '\n' included
	hiSeq    uint64 // the highest sequence the log names before at
	total    int64  // bytes of whole records before at (at, less unreadable spans kept)
	entries  []entry
	parties  []parties
	subjects []byte
}

func (s *Store) ckptPath() string { return filepath.Join(s.dir, ckptName) }

// encodeCheckpoint lays c out as the package documentation describes.
func encodeCheckpoint(c *checkpoint) []byte {
	b := make([]byte, 0, ckptHeader+len(c.entries)*entryBytes+len(c.subjects)+64*len(c.parties)+4)
	b = append(b, ckptMagic...)
	b = binary.LittleEndian.AppendUint32(b, ckptVersion)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(c.entries)))
	for _, v := range []uint64{uint64(c.at), c.ino, uint64(c.last.off), uint64(c.total), c.hiSeq} {
		b = binary.LittleEndian.AppendUint64(b, v)
	}
	for _, v := range []uint32{c.last.n, c.lastCRC, uint32(len(c.parties)), uint32(len(c.subjects)), 0, 0} {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	for i := range c.entries {
		b = appendEntry(b, &c.entries[i])
	}
	for _, p := range c.parties {
		for _, str := range []string{p.sender.Number, p.sender.Name, p.sender.Source, p.to} {
			b = binary.AppendUvarint(b, uint64(len(str)))
			b = append(b, str...)
		}
	}
	b = append(b, c.subjects...)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, crcTable))
}

func appendEntry(b []byte, e *entry) []byte {
	le := binary.LittleEndian
	for _, v := range []uint64{e.seq, e.idTime, uint64(e.off), uint64(e.pdu), uint64(e.sec)} {
		b = le.AppendUint64(b, v)
	}
	for _, v := range []uint32{uint32(e.nsec), e.line, e.size, e.parties, e.subject} {
		b = le.AppendUint32(b, v)
	}
	return append(b, e.idWidth, boolByte(e.seen), boolByte(e.clockSynced), 0)
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// decodeCheckpoint parses and checks b: its CRC, its version and that
// every number in it points inside it and inside the log it covers.
func decodeCheckpoint(b []byte) (*checkpoint, error) {
	le := binary.LittleEndian
	if len(b) < ckptHeader+4 || string(b[:8]) != ckptMagic {
		return nil, fmt.Errorf("%w: not a checkpoint", errCkpt)
	}
	body := b[:len(b)-4]
	if crc32.Checksum(body, crcTable) != le.Uint32(b[len(b)-4:]) {
		return nil, fmt.Errorf("%w: CRC mismatch", errCkpt)
	}
	if v := le.Uint32(b[8:]); v != ckptVersion {
		return nil, fmt.Errorf("%w: version %d", errCkpt, v)
	}
	n := int(le.Uint32(b[12:]))
	c := &checkpoint{
		at: int64(le.Uint64(b[16:])), ino: le.Uint64(b[24:]),
		last:  logLine{int64(le.Uint64(b[32:])), le.Uint32(b[56:])},
		total: int64(le.Uint64(b[40:])), hiSeq: le.Uint64(b[48:]), lastCRC: le.Uint32(b[60:]),
	}
	np, ns := int(le.Uint32(b[64:])), int(le.Uint32(b[68:]))
	rest := body[ckptHeader:]
	if n > len(rest)/entryBytes {
		return nil, fmt.Errorf("%w: %d entries in %d bytes", errCkpt, n, len(rest))
	}
	c.entries = make([]entry, n)
	for i := range c.entries {
		c.entries[i] = decodeEntry(rest[i*entryBytes:])
	}
	rest = rest[n*entryBytes:]
	for range np {
		var str [4]string
		for k := range str {
			l, m := binary.Uvarint(rest)
			if m <= 0 || l > uint64(len(rest)-m) {
				return nil, fmt.Errorf("%w: parties truncated", errCkpt)
			}
			str[k], rest = string(rest[m:m+int(l)]), rest[m+int(l):]
		}
		c.parties = append(c.parties, parties{Sender{str[0], str[1], str[2]}, str[3]})
	}
	if len(rest) != ns || ns == 0 || rest[0] != 0 {
		return nil, fmt.Errorf("%w: subjects of %d bytes, %d left", errCkpt, ns, len(rest))
	}
	c.subjects = slices.Clip(rest)
	return c, c.check()
}

func decodeEntry(b []byte) entry {
	le := binary.LittleEndian
	return entry{
		seq: le.Uint64(b), idTime: le.Uint64(b[8:]), off: int64(le.Uint64(b[16:])), pdu: int64(le.Uint64(b[24:])),
		sec: int64(le.Uint64(b[32:])), nsec: int32(le.Uint32(b[40:])), line: le.Uint32(b[44:]), size: le.Uint32(b[48:]),
		parties: le.Uint32(b[52:]), subject: le.Uint32(b[56:]),
		idWidth: b[60], seen: b[61] != 0, clockSynced: b[62] != 0,
	}
}

// check makes sure that no entry points outside the checkpoint's texts
// or the log it covers, so that nothing later indexes out of range.
func (c *checkpoint) check() error {
	if c.at <= 0 || c.last.off < 0 || c.last.n == 0 || c.last.off+int64(c.last.n) > c.at || c.total > c.at {
		return fmt.Errorf("%w: covers %d bytes, last line at %d", errCkpt, c.at, c.last.off)
	}
	for i := range c.entries {
		e := &c.entries[i]
		ok := int(e.parties) < len(c.parties) && int(e.subject) < len(c.subjects) &&
			e.idWidth >= 6 && e.idWidth <= 20 && e.idTime < 1e14 && e.seq <= c.hiSeq &&
			e.off >= 0 && e.off+int64(e.line) <= c.at && e.pdu >= 0 && e.pdu+int64(e.size) < c.at
		if ok && e.subject != 0 {
			l, m := binary.Uvarint(c.subjects[e.subject:])
			ok = m > 0 && l <= uint64(len(c.subjects)-int(e.subject)-m)
		}
		if !ok {
			return fmt.Errorf("%w: entry %d out of range", errCkpt, i)
		}
	}
	return nil
}

// scanBase is where readRecords starts: the log's start, or the
// checkpoint's point with its index.
func (c *checkpoint) scanBase(s *Store) *logScan {
	sc := &logScan{live: map[idKey]entry{}}
	s.texts = newTexts()
	if c == nil {
		return sc
	}
	s.texts.subjects = c.subjects
	for _, p := range c.parties {
		s.texts.party(p)
	}
	for _, e := range c.entries {
		sc.live[e.key()] = e
	}
	sc.hiSeq, sc.end, sc.total, sc.last = c.hiSeq, c.at, c.total, c.last
	return sc
}

// loadCheckpoint returns the checkpoint if it is one of the log f
// (size bytes), or nil; a checkpoint that is not is removed, with a
// log line that says why (nothing is lost: Open reads the whole log).
func (s *Store) loadCheckpoint(f *os.File, info os.FileInfo) *checkpoint {
	b, err := os.ReadFile(s.ckptPath())
	if errors.Is(err, fs.ErrNotExist) {
		if info.Size() > 0 {
			s.log.Info("store: no index checkpoint (the last stop was not a clean one): reading the whole log")
		}
		return nil
	}
	var c *checkpoint
	if err == nil {
		c, err = decodeCheckpoint(b)
	}
	if err == nil {
		if why := c.matches(f, info); why != "" {
			s.log.Info("store: the index checkpoint is not of this log: reading the whole log", "why", why)
			s.removeCheckpoint()
			return nil
		}
		return c
	}
	s.log.Warn("store: the index checkpoint does not read: reading the whole log", "err", err)
	s.removeCheckpoint()
	return nil
}

// matches says why c is not a checkpoint of the log f, or "": the same
// file (inode), at least as long, and the same last line before c.at
// (lines are never hole-punched; compaction and an edit change them).
func (c *checkpoint) matches(f *os.File, info os.FileInfo) string {
	if st, ok := info.Sys().(*syscall.Stat_t); ok && st.Ino != c.ino {
		return "another file (inode)"
	}
	if c.at > info.Size() {
		return "the log is shorter than the checkpoint"
	}
	b := make([]byte, c.last.n)
	if _, err := f.ReadAt(b, c.last.off); err != nil || crc32.Checksum(b, crcTable) != c.lastCRC || b[len(b)-1] != '\n' {
		return "the log's last line before the checkpoint differs"
	}
	return ""
}

// removeCheckpoint removes the checkpoint, durably, before Open rewrites
// the log (compaction): a checkpoint must never describe another log.
func (s *Store) removeCheckpoint() error {
	err := s.fs.Remove(s.ckptPath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err == nil {
		err = s.fs.SyncDir(s.dir)
	}
	return err
}

// writeCheckpoint records the index at the log's end, once every writer
// has finished (Close): nothing when the log is not wholly synced (a
// sync or an append failed) or when the checkpoint Open read still
// describes it. A failure costs the next Open a full read of the log,
// nothing else, and is logged as a warning.
func (s *Store) writeCheckpoint() {
	b, err := s.checkpointNow()
	if b == nil || err != nil {
		if err != nil {
			s.log.Warn("store: no index checkpoint written: the next start reads the whole log", "err", err)
		}
		return
	}
	err = writeFile(s.fs, s.dir, ckptName, b)
	if err == nil {
		err = s.fs.SyncDir(s.dir)
	}
	if err != nil {
		s.log.Warn("store: no index checkpoint written: the next start reads the whole log", "err", err)
		return
	}
	s.ckptFile = int64(binary.LittleEndian.Uint64(b[16:])) // its point (see encodeCheckpoint)
}

// checkpointNow is the checkpoint of the index and the log as they are,
// encoded, or nil when there is none to write.
func (s *Store) checkpointNow() ([]byte, error) {
	l := s.msgs
	if err := l.commit(); err != nil {
		return nil, err
	}
	l.mu.Lock()
	at, whole, last := l.size, l.durable == l.size && !l.frozen && l.broken == nil, l.last
	l.mu.Unlock()
	if !whole || at == 0 || at == s.ckptFile {
		return nil, nil
	}
	info, err := l.r.Stat()
	if err != nil {
		return nil, err
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return nil, nil
	}
	b := make([]byte, last.n)
	if _, err := l.r.ReadAt(b, last.off); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := &checkpoint{
		at: at, ino: st.Ino, last: last, lastCRC: crc32.Checksum(b, crcTable),
		hiSeq: s.nextSeq - 1, total: at - s.junk,
		entries: s.entries, parties: s.texts.parties, subjects: s.texts.subjects,
	}
	return encodeCheckpoint(c), nil
}
