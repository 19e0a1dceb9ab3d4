package floor

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/sys/unix"
)

// MaxRecord is the largest message a Log record holds (16 MiB).
const MaxRecord = 16 << 20

// ErrTooLarge is returned by Append for a message above MaxRecord, and
// by ReadLog for a record header that claims more.
var ErrTooLarge = errors.New("floor: record too large")

// ErrTruncated is returned by ReadLog when the log ends inside a record.
var ErrTruncated = errors.New("floor: truncated record")

// Log is the log design: one append-only file, see the package doc.
type Log struct {
	f    *os.File
	fd   int
	mu   sync.Mutex // orders the appends and guards off
	off  int64      // size of the log: where the next record starts
	sync *groupSync
}

// OpenLog creates (or opens, to append to) the log at path and makes
// its directory entry durable.
func OpenLog(path string) (*Log, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err == nil {
		err = syncDir(filepath.Dir(path))
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	l := &Log{f: f, fd: int(f.Fd()), off: st.Size()}
	l.sync = newGroupSync(func() error { return fdatasync(l.fd, path) })
	return l, nil
}

// Append writes p as one record and returns once it is durable, with
// the offset the record starts at (a unique id for it).
func (l *Log) Append(p []byte) (int64, error) {
	if len(p) > MaxRecord {
		return 0, ErrTooLarge
	}
	var hdr [4]byte
	binary.BigEndian.PutUint32(hdr[:], uint32(len(p)))
	l.mu.Lock()
	off, err := l.write(hdr[:], p)
	l.mu.Unlock()
	if err != nil {
		return 0, err
	}
	return off, l.sync.wait()
}

// write appends one record; the caller holds l.mu. A short write is
// cut off again, so that the log stays a sequence of whole records.
func (l *Log) write(hdr, p []byte) (int64, error) {
	want := len(hdr) + len(p)
	n, err := writev(l.fd, hdr, p)
	if err == nil && n < want {
		err = io.ErrShortWrite
	}
	if err != nil {
		if terr := l.f.Truncate(l.off); terr != nil {
			err = errors.Join(err, terr)
		}
		return 0, fmt.Errorf("floor: append to %s: %w", l.f.Name(), err)
	}
	off := l.off
	l.off += int64(want)
	return off, nil
}

// Close closes the log file.
func (l *Log) Close() error { return l.f.Close() }

// ReadLog calls fn with every record of the log r holds, in order. The
// slice is reused: fn must copy what it keeps.
func ReadLog(r io.Reader, fn func(rec []byte) error) error {
	br := bufio.NewReaderSize(r, 256<<10)
	var buf []byte
	for {
		var hdr [4]byte
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			if err == io.EOF {
				return nil
			}
			return ErrTruncated
		}
		n := binary.BigEndian.Uint32(hdr[:])
		if n > MaxRecord {
			return ErrTooLarge
		}
		if cap(buf) < int(n) {
			buf = make([]byte, n)
		}
		buf = buf[:n]
		if _, err := io.ReadFull(br, buf); err != nil {
			return ErrTruncated
		}
		if err := fn(buf); err != nil {
			return err
		}
	}
}

// Files is the file design: one new file per message, see the package
// doc.
type Files struct {
	dir  string
	mu   sync.Mutex
	n    int
	sync *groupSync
}

// OpenFiles makes dir if needed and returns the file design writing
// into it.
func OpenFiles(dir string) (*Files, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	return &Files{dir: dir, sync: newGroupSync(func() error { return syncDir(dir) })}, nil
}

// Put writes p to a new file and returns once the file and its
// directory entry are durable.
func (d *Files) Put(p []byte) error {
	d.mu.Lock()
	d.n++
	name := filepath.Join(d.dir, fmt.Sprintf("%06d.mms", d.n))
	d.mu.Unlock()
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return err
	}
	_, err = f.Write(p)
	if err == nil {
		err = fdatasync(int(f.Fd()), name)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return err
	}
	return d.sync.wait()
}

func writev(fd int, hdr, p []byte) (int, error) {
	for {
		n, err := unix.Writev(fd, [][]byte{hdr, p})
		if err != unix.EINTR {
			return n, err
		}
	}
}

func fdatasync(fd int, name string) error {
	for {
		err := unix.Fdatasync(fd)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return &os.PathError{Op: "fdatasync", Path: name, Err: err}
		}
		return nil
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// groupSync shares one sync among the writers that need it at the same
// time: wait returns once a sync that started after the call has
// completed. The first error is kept and returned from then on.
type groupSync struct {
	fn      func() error
	mu      sync.Mutex
	cond    sync.Cond
	running bool
	started uint64 // generation of the last sync started
	done    uint64 // generation of the last sync completed
	err     error
}

func newGroupSync(fn func() error) *groupSync {
	g := &groupSync{fn: fn}
	g.cond.L = &g.mu
	return g
}

func (g *groupSync) wait() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	// A sync running now may have started before our write: wait for
	// the next one.
	gen := g.started + 1
	for g.done < gen && g.err == nil {
		if g.running {
			g.cond.Wait()
			continue
		}
		g.running = true
		g.started++
		g.mu.Unlock()
		err := g.fn()
		g.mu.Lock()
		g.running = false
		g.done = g.started
		if err != nil {
			g.err = err
		}
		g.cond.Broadcast()
	}
	return g.err
}
