package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// fileSystem is the part of the filesystem the store writes through.
// Reads use package os directly; writes go through here so that tests can
// inject ENOSPC, EIO or a crash at any step.
type fileSystem interface {
	CreateTemp(dir, pattern string) (tempFile, error)
	Rename(oldpath, newpath string) error
	Remove(name string) error
	SyncDir(dir string) error
	// Free returns the bytes available to unprivileged users on the
	// filesystem that holds dir.
	Free(dir string) (int64, error)
}

// tempFile is the subset of *os.File the store writes with.
type tempFile interface {
	io.Writer
	Sync() error
	Close() error
	Name() string
}

// osFS is the real filesystem.
type osFS struct{}

func (osFS) CreateTemp(dir, pattern string) (tempFile, error) {
	return os.CreateTemp(dir, pattern)
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

// tempPrefix starts the name of every temporary file; Open removes them.
const tempPrefix = ".tmp-"

// writeFile writes data to path atomically: a temporary file in the same
// directory, write, fsync, close, rename. The caller syncs the directory
// (once for several files). On failure no temporary file is left behind
// and path is untouched.
func writeFile(fsys fileSystem, path string, data []byte) (err error) {
	dir, base := filepath.Split(path)
	f, err := fsys.CreateTemp(dir, tempPrefix+base+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			if rerr := fsys.Remove(tmp); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
				err = errors.Join(err, rerr)
			}
		}
	}()
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return fsys.Rename(tmp, path)
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

// staged is a temporary file written but not yet synced, closed or
// renamed: a lone Put writes both of its files before it syncs either, so
// that their two fsyncs can run at the same time.
type staged struct {
	f    tempFile
	path string // final name
}

// stage creates a temporary file for path in its directory and writes
// data to it. On failure no temporary file is left behind.
func stage(fsys fileSystem, path string, data []byte) (*staged, error) {
	dir, base := filepath.Split(path)
	f, err := fsys.CreateTemp(dir, tempPrefix+base+"-*")
	if err != nil {
		return nil, err
	}
	st := &staged{f: f, path: path}
	if _, err := f.Write(data); err != nil {
		return nil, st.discard(fsys, err)
	}
	return st, nil
}

// discard closes and removes the temporary file after err, and returns
// err with whatever the removal said.
func (st *staged) discard(fsys fileSystem, err error) error {
	st.f.Close() // already failing; the close error adds nothing
	if rerr := fsys.Remove(st.f.Name()); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
		err = errors.Join(err, rerr)
	}
	return err
}

// syncPair fsyncs a and b at the same time, a on another goroutine.
func syncPair(a, b *staged) (aerr, berr error) {
	done := make(chan error, 1)
	go func() { done <- a.f.Sync() }()
	berr = b.f.Sync()
	return <-done, berr
}
