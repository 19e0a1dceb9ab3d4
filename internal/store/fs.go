package store

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// fileSystem is the part of the filesystem the store writes through.
// Reads use package os directly; writes go through here so that tests can
// inject ENOSPC, EIO or a crash at any step.
type fileSystem interface {
	CreateTemp(dir, pattern string) (file, error)
	// OpenAppend opens name for appending, creating it if missing.
	OpenAppend(name string) (file, error)
	Rename(oldpath, newpath string) error
	Remove(name string) error
	SyncDir(dir string) error
	// Free returns the bytes available to unprivileged users on the
	// filesystem that holds dir.
	Free(dir string) (int64, error)
}

// file is the subset of *os.File the store writes with.
type file interface {
	io.Writer
	// Sync makes the data durable (fdatasync(2): the data and what is
	// needed to read it back, such as the size, not the timestamps).
	Sync() error
	Truncate(size int64) error
	// Punch frees the blocks of [off, off+n) (fallocate(2)
	// FALLOC_FL_PUNCH_HOLE, the file's size kept): the range reads back
	// as zeros. off and n are multiples of the block size, so nothing
	// is written.
	Punch(off, n int64) error
	Close() error
	Name() string
}

// osFS is the real filesystem.
type osFS struct{}

func (osFS) CreateTemp(dir, pattern string) (file, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

func (osFS) OpenAppend(name string) (file, error) {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

func (osFS) Rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }
func (osFS) Remove(name string) error             { return os.Remove(name) }

func (osFS) SyncDir(dir string) error {
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

func (osFS) Free(dir string) (int64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, &os.PathError{Op: "statfs", Path: dir, Err: err}
	}
	free := st.Bavail * uint64(st.Bsize)
	if free > 1<<62 {
		free = 1 << 62
	}
	return int64(free), nil
}

// osFile is an *os.File whose Sync is fdatasync(2). Every file the store
// syncs is new or only appended to, so fdatasync flushes all that a
// reader needs: the data and the size. It skips the timestamps.
type osFile struct{ *os.File }

func (f osFile) Sync() error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		for {
			if serr = unix.Fdatasync(int(fd)); serr != unix.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	if serr != nil {
		return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: serr}
	}
	return nil
}

func (f osFile) Punch(off, n int64) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var perr error
	if err := rc.Control(func(fd uintptr) {
		perr = unix.Fallocate(int(fd), unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, off, n)
	}); err != nil {
		return err
	}
	if perr != nil {
		return &os.PathError{Op: "fallocate", Path: f.Name(), Err: perr}
	}
	return nil
}

// tempPrefix starts the name of every temporary file; Open removes them.
const tempPrefix = ".tmp-"

// writeFile replaces path atomically: a temporary file in the same
// directory, write, fdatasync, close, rename. The caller syncs the
// directory. On failure no temporary file is left behind and path is
// untouched.
func writeFile(fsys fileSystem, dir, base string, data []byte) error {
	f, err := fsys.CreateTemp(dir, tempPrefix+base+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if err := finish(fsys, f, tmp, data); err != nil {
		return err
	}
	if err := fsys.Rename(tmp, dir+string(os.PathSeparator)+base); err != nil {
		return removeAfter(fsys, tmp, err)
	}
	return nil
}

// finish writes data to f, syncs and closes it; on failure it removes
// name (f's path).
func finish(fsys fileSystem, f file, name string, data []byte) error {
	if _, err := f.Write(data); err != nil {
		f.Close() // already failing; the close error adds nothing
		return removeAfter(fsys, name, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return removeAfter(fsys, name, err)
	}
	if err := f.Close(); err != nil {
		return removeAfter(fsys, name, err)
	}
	return nil
}

// removeAfter removes name after err and returns err with whatever the
// removal said.
func removeAfter(fsys fileSystem, name string, err error) error {
	if rerr := fsys.Remove(name); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
		err = errors.Join(err, rerr)
	}
	return err
}

// isFull reports whether err says the filesystem or the user's quota is
// full.
func isFull(err error) bool {
	return errors.Is(err, unix.ENOSPC) || errors.Is(err, unix.EDQUOT)
}

// classify wraps a write error: ErrFull for ENOSPC and EDQUOT, so that
// callers can tell a transient full disk from a failing one.
func classify(op string, err error) error {
	if isFull(err) {
		return fmt.Errorf("store: %s: %w: %w", op, ErrFull, err)
	}
	return fmt.Errorf("store: %s: %w", op, err)
}
