package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"

	"golang.org/x/sys/unix"
)

// logName is the message log in the store directory.
const logName = "messages.log"

// record is one record of the log: a line of JSON, and for a new
// message its PDU after the line. Exactly one of Msg, Put, Del and Seq
// is set. Msg is a new message's whole metadata, and its PDU's
// Meta.Size bytes and a '\n' follow the line; Put is a stored message's
// changed metadata, which replaces the earlier; Del the id of a deleted
// message; Seq the sequence high-water mark (the first record of a
// compacted log, so that the ids of deleted messages are never issued
// again; it ends a compacted log). W, on a Msg or Seq line only, is how
// many bytes of the log had been synced when the line was written: Open
// need not check the records that start below it. CRC, on a Msg line,
// is the CRC-32C of the PDU, which Open checks on the records no W
// covers.
type record struct {
	Msg *Meta   `json:"msg,omitempty"`
	CRC *uint32 `json:"crc,omitempty"` // of the PDU, on Msg lines
	Put *Meta   `json:"put,omitempty"`
	Del string  `json:"del,omitempty"`
	Seq uint64  `json:"seq,omitempty"`
	W   int64   `json:"w,omitempty"`
}

// meta is the metadata a Msg or Put record carries, or nil.
func (r *record) meta() *Meta {
	if r.Msg != nil {
		return r.Msg
	}
	return r.Put
}

// encodeRecord encodes r as one line of compact JSON ending in '\n',
// without HTML escaping (which would inflate '<' in a Content-ID
// sixfold). It refuses what Open would not load back.
func encodeRecord(r record) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return nil, fmt.Errorf("store: metadata: %w", err)
	}
	if b.Len() > maxRecordSize {
		return nil, fmt.Errorf("%w: metadata record would be %d bytes (limit %d)", ErrTooLarge, b.Len(), maxRecordSize)
	}
	return b.Bytes(), nil
}

func putRecord(m *Meta) ([]byte, error) { return encodeRecord(record{Put: m}) }

// msgRecord is the line of a new message's record, before its PDU.
func msgRecord(m *Meta, pdu []byte, w int64) ([]byte, error) {
	crc := pduCRC(pdu)
	return encodeRecord(record{Msg: m, CRC: &crc, W: w})
}

// decodeRecord parses one line (without its '\n') and checks that it is
// a record Put, SetSeen, Delete or compaction writes.
func decodeRecord(line []byte) (record, error) {
	var r record
	if err := json.Unmarshal(line, &r); err != nil {
		return r, err
	}
	n := 0
	for _, set := range []bool{r.Msg != nil, r.Put != nil, r.Del != "", r.Seq != 0} {
		if set {
			n++
		}
	}
	switch m := r.meta(); {
	case n != 1:
		return r, errors.New("record sets none or several of msg, put, del, seq")
	case r.W != 0 && r.Msg == nil && r.Seq == 0, r.W < 0:
		return r, errors.New("w without msg or seq")
	case (r.CRC != nil) != (r.Msg != nil):
		return r, errors.New("msg without crc, or crc without msg")
	case m != nil:
		seq, err := parseID(m.ID)
		if err != nil || m.Size <= 0 || m.Size > MaxPDUSize {
			return r, fmt.Errorf("record of id %q, size %d", m.ID, m.Size)
		}
		m.seq = seq
	case r.Del != "" && !ValidID(r.Del):
		return r, fmt.Errorf("del record with id %q", r.Del)
	}
	return r, nil
}

// A msgLog is the append-only log of an open store. Writers append
// whole records under mu, then wait for a group sync that makes them
// durable: one fdatasync answers every writer that appended before it
// started.
type msgLog struct {
	f    file
	r    *os.File // read-only, for preads of metadata and PDUs
	sync *groupSync

	mu      sync.Mutex
	size    int64   // bytes of whole records in the file
	last    logLine // the line of the last record (for a checkpoint)
	durable int64   // bytes the last successful sync covered
	frozen  bool    // a sync failed: durable no longer advances (see flush)
	broken  error   // a failed append could not be cut off: refuse more
}

func openLog(fsys fileSystem, path string, size int64, last logLine) (*msgLog, error) {
	f, err := fsys.OpenAppend(path)
	if err != nil {
		return nil, err
	}
	r, err := os.Open(path)
	if err != nil {
		f.Close()
		return nil, err
	}
	l := &msgLog{f: f, r: r, size: size, durable: size, last: last}
	l.sync = newGroupSync(l.flush)
	return l, nil
}

// flush is the group sync: fdatasync, then the bytes it covered are
// durable. After a failed fdatasync Linux may have dropped the pages it
// could not write and reports success next time, so a later sync does
// not prove the earlier bytes: durable stops there until the store is
// reopened, and Open checks every new message written after it.
func (l *msgLog) flush() error {
	l.mu.Lock()
	n := l.size
	l.mu.Unlock()
	err := l.f.Sync()
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.frozen = true
		return err
	}
	if !l.frozen {
		l.durable = max(l.durable, n)
	}
	return nil
}

// synced is the W a new message's line records now.
func (l *msgLog) synced() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.durable
}

// append writes one record, given as its parts (a line; for a new
// message also the PDU and a '\n'), and returns the offset it starts
// at. A failed write is cut off again, so that the file only ever holds
// whole records; if even that fails, the log refuses further appends
// until the store is reopened (Open cuts a torn end off).
func (l *msgLog) append(parts ...[]byte) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.broken != nil {
		return 0, fmt.Errorf("log unusable after an earlier failure: %w", l.broken)
	}
	off := l.size
	for _, p := range parts {
		if _, err := l.f.Write(p); err != nil {
			l.size = off
			if terr := l.f.Truncate(off); terr != nil {
				l.broken = terr
				return 0, errors.Join(err, terr)
			}
			return 0, err
		}
		l.size += int64(len(p))
	}
	l.last = logLine{off, uint32(len(parts[0]))}
	return off, nil
}

// readLine returns the n bytes of the line at off, without its '\n'.
// Records are only ever appended while the store is open (Open alone
// rewrites the file, before this handle exists), so an offset that
// append returned stays valid until Close.
func (l *msgLog) readLine(off int64, n uint32) ([]byte, error) {
	b := make([]byte, n)
	if _, err := l.r.ReadAt(b, off); err != nil {
		if errors.Is(err, os.ErrClosed) {
			err = ErrClosed
		}
		return nil, fmt.Errorf("store: read log at %d: %w", off, err)
	}
	if n == 0 || b[n-1] != '\n' {
		return nil, fmt.Errorf("store: log at %d: no whole line of %d bytes", off, n)
	}
	return b[:n-1], nil
}

// punchBlock is the unit punch frees in: ext4's block on the Pi.
const punchBlock = 4096

// punch frees the whole blocks inside [off, off+n) of the log, a deleted
// message's PDU, so that deleting gives the space back at once rather
// than at the next compaction. A filesystem that cannot punch holes
// (EOPNOTSUPP) keeps the bytes until then.
func (l *msgLog) punch(off, n int64) error {
	from := (off + punchBlock - 1) / punchBlock * punchBlock
	to := (off + n) / punchBlock * punchBlock
	if to <= from {
		return nil
	}
	err := l.f.Punch(from, to-from)
	if errors.Is(err, unix.EOPNOTSUPP) {
		return nil
	}
	return err
}

// commit returns once every record appended before the call is durable.
func (l *msgLog) commit() error { return l.sync.wait() }

func (l *msgLog) close() error { return errors.Join(l.f.Close(), l.r.Close()) }

// readRecord reads the record at off of a log of size bytes: its line,
// decoded, and for a new message checks that the PDU's bytes and a '\n'
// fit before size. n is the record's length, line that of its line
// ('\n' included). It reads the line only, in pieces of 4 KB, so that
// Open passes over the PDUs without reading them.
func readRecord(r io.ReaderAt, off, size int64, buf []byte) (rec record, line, n int64, err error) {
	line, buf, err = findLine(r, off, size, buf)
	if err != nil {
		return rec, 0, 0, err
	}
	if rec, err = decodeRecord(buf[:line-1]); err != nil {
		return rec, 0, 0, err
	}
	n = line
	if rec.Msg != nil {
		n += rec.Msg.Size + 1
		if off+n > size {
			return rec, 0, 0, io.ErrUnexpectedEOF
		}
		var nl [1]byte
		if _, err := r.ReadAt(nl[:], off+n-1); err != nil || nl[0] != '\n' {
			return rec, 0, 0, errors.New("no newline after the PDU")
		}
	}
	return rec, line, n, nil
}

// findLine returns the length of the line at off ('\n' included) and a
// buffer that starts with it.
func findLine(r io.ReaderAt, off, size int64, buf []byte) (int64, []byte, error) {
	buf = buf[:0]
	for {
		if int64(len(buf)) > maxRecordSize {
			return 0, nil, errors.New("line longer than any record")
		}
		at := off + int64(len(buf))
		if at >= size {
			return 0, nil, io.ErrUnexpectedEOF
		}
		chunk := int(min(4096, size-at))
		buf = slices.Grow(buf, chunk)[:len(buf)+chunk]
		piece := buf[len(buf)-chunk:]
		if _, err := r.ReadAt(piece, at); err != nil {
			return 0, nil, err
		}
		if i := bytes.IndexByte(piece, '\n'); i >= 0 {
			return int64(len(buf)-len(piece)+i) + 1, buf, nil
		}
	}
}
