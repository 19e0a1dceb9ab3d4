package store

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
)

// journalName is the metadata journal in the store directory.
const journalName = "journal.jsonl"

// record is one line of the journal. Exactly one of Put, Del and Seq is
// set: Put is a message's whole metadata (a new message, or a change
// that replaces the earlier line of the same id), Del the id of a
// deleted message, Seq the sequence high-water mark (the first line of a
// compacted journal, so that the ids of deleted messages are never
// issued again). W is set on the put line of a new message only: the
// store's watermark when the line was written (every Put with a lower
// sequence had made its PDU durable), so that Open knows which new
// messages' PDUs it must check.
type record struct {
	Put *Meta  `json:"put,omitempty"`
	W   uint64 `json:"w,omitempty"`
	Del string `json:"del,omitempty"`
	Seq uint64 `json:"seq,omitempty"`
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

// decodeRecord parses one line (without its '\n') and checks it names a
// valid id.
func decodeRecord(line []byte) (record, error) {
	var r record
	if err := json.Unmarshal(line, &r); err != nil {
		return r, err
	}
	switch {
	case r.Put != nil && r.Del == "" && r.Seq == 0:
		seq, err := parseID(r.Put.ID)
		if err != nil || r.Put.Size < 0 {
			return r, fmt.Errorf("put record with id %q, size %d", r.Put.ID, r.Put.Size)
		}
		r.Put.seq = seq
	case r.W != 0:
		return r, errors.New("w record without put")
	case r.Put == nil && r.Del != "" && r.Seq == 0:
		if !ValidID(r.Del) {
			return r, fmt.Errorf("del record with id %q", r.Del)
		}
	case r.Put == nil && r.Del == "" && r.Seq != 0:
	default:
		return r, errors.New("record sets none or several of put, del, seq")
	}
	return r, nil
}

// A journal is the append-only metadata file of an open store. Writers
// append whole lines under mu, then wait for a group sync that makes
// their lines durable: one fdatasync answers every writer that appended
// before it started.
type journal struct {
	f    file
	sync *groupSync
	r    *os.File // read-only, for the metadata of one message at its offset (pread)

	mu     sync.Mutex
	size   int64 // bytes of whole lines in the file
	broken error // a failed append could not be cut off: refuse more
}

func openJournal(fsys fileSystem, path string, size int64) (*journal, error) {
	f, err := fsys.OpenAppend(path)
	if err != nil {
		return nil, err
	}
	r, err := os.Open(path)
	if err != nil {
		f.Close()
		return nil, err
	}
	j := &journal{f: f, r: r, size: size}
	j.sync = newGroupSync(j.f.Sync)
	return j, nil
}

// append writes one line and returns the offset it starts at. A failed write is cut off again, so that the
// file only ever holds whole lines; if even that fails, the journal
// refuses further appends until the store is reopened (Open drops a torn
// last line).
func (j *journal) append(line []byte) (int64, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.broken != nil {
		return 0, fmt.Errorf("journal unusable after an earlier failure: %w", j.broken)
	}
	if _, err := j.f.Write(line); err != nil {
		if terr := j.f.Truncate(j.size); terr != nil {
			j.broken = terr
			return 0, errors.Join(err, terr)
		}
		return 0, err
	}
	off := j.size
	j.size += int64(len(line))
	return off, nil
}

// readLine returns the n bytes of the line at off, without its '\n'.
// Lines are only ever appended while the store is open (Open alone
// rewrites the file, before this handle exists), so an offset that
// append returned stays valid until Close.
func (j *journal) readLine(off int64, n uint32) ([]byte, error) {
	b := make([]byte, n)
	if _, err := j.r.ReadAt(b, off); err != nil {
		if errors.Is(err, os.ErrClosed) {
			err = ErrClosed
		}
		return nil, fmt.Errorf("store: read journal at %d: %w", off, err)
	}
	if n == 0 || b[n-1] != '\n' {
		return nil, fmt.Errorf("store: journal at %d: no whole line of %d bytes", off, n)
	}
	return b[:n-1], nil
}

// commit returns once every line appended before the call is durable.
func (j *journal) commit() error { return j.sync.wait() }

func (j *journal) close() error { return errors.Join(j.f.Close(), j.r.Close()) }

// parsedJournal is what Open read from the journal.
type parsedJournal struct {
	live    map[string]entry // latest put of each id not deleted since, with its line's offset
	deleted map[string]bool  // ids whose last record is a del
	// unsure holds the ids whose latest line is that of a new message,
	// written before its PDU was synced; covered is the highest
	// watermark any line records. Such a message whose sequence is not
	// below covered may have lost its PDU to a crash: Open checks it.
	unsure  map[string]bool
	covered uint64
	hiSeq   uint64 // highest sequence named anywhere
	lines   int    // whole, valid lines
	torn    bool   // unreadable bytes after the last valid line: never committed
	bad     int    // unreadable lines followed by valid ones
	size    int64  // bytes read
}

// parseJournal reads the journal's lines in order. A put replaces the
// earlier record of its id, a del removes it. Unreadable bytes at the
// end are a write that never completed its sync (never acknowledged);
// an unreadable line with valid ones after it is damage, counted in bad.
// The journal is read a line at a time and only the index entries are
// kept, so that Open's memory does not grow with the journal's size.
func parseJournal(rd io.Reader) (*parsedJournal, error) {
	p := &parsedJournal{live: map[string]entry{}, deleted: map[string]bool{}, unsure: map[string]bool{}}
	br := bufio.NewReaderSize(rd, 64<<10)
	pendingBad := 0
	for {
		line, err := br.ReadSlice('\n')
		n := len(line)
		if errors.Is(err, bufio.ErrBufferFull) {
			line, n, err = readLong(br, line)
		}
		off := p.size
		p.size += int64(n)
		if err == io.EOF {
			if n > 0 {
				pendingBad++ // a line without its newline
			}
			break
		}
		if err != nil {
			return nil, err
		}
		if line == nil { // longer than any line Put writes
			pendingBad++
			continue
		}
		r, derr := decodeRecord(line[:len(line)-1])
		if derr != nil {
			pendingBad++
			continue
		}
		p.bad += pendingBad
		pendingBad = 0
		p.lines++
		p.apply(r, off, n)
	}
	p.torn = pendingBad > 0
	return p, nil
}

// readLong reads the rest of a line longer than br's buffer, of which
// part was read, and returns it with its length in bytes. A line longer
// than maxRecordSize is damage (Put never writes one): its bytes are
// counted, not kept, and it is returned as nil, so that a damaged
// journal cannot make Open hold gigabytes in memory.
func readLong(br *bufio.Reader, part []byte) ([]byte, int, error) {
	long, n := slices.Clone(part), len(part)
	for {
		more, err := br.ReadSlice('\n')
		n += len(more)
		if n > maxRecordSize {
			long = nil
		} else {
			long = append(long, more...)
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return long, n, err
		}
	}
}

func (p *parsedJournal) apply(r record, off int64, n int) {
	switch {
	case r.Put != nil:
		p.live[r.Put.ID] = newEntry(r.Put, off, n)
		delete(p.deleted, r.Put.ID)
		p.hiSeq = max(p.hiSeq, r.Put.seq)
		if r.W != 0 {
			p.unsure[r.Put.ID] = true
			p.covered = max(p.covered, r.W)
		} else {
			delete(p.unsure, r.Put.ID)
		}
	case r.Del != "":
		delete(p.live, r.Del)
		delete(p.unsure, r.Del)
		p.deleted[r.Del] = true
		seq, _ := parseID(r.Del)
		p.hiSeq = max(p.hiSeq, seq)
	default:
		p.hiSeq = max(p.hiSeq, r.Seq)
	}
}

// mustCheck reports whether the PDU of id (sequence seq) may not have
// been durable when its line was: a new message's line that no
// watermark covers.
func (p *parsedJournal) mustCheck(id string, seq uint64) bool {
	return p.unsure[id] && seq >= p.covered
}
