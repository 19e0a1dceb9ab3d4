package store

import (
	"bytes"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
)

// cutFS is a fileSystem that knows what a power cut would leave on the
// card. Writes go to real files (they stand for the page cache, which
// the store's reads see through package os), and cutFS also keeps, per
// file, the bytes already synced and the bytes written since, and per
// directory the names already synced and the changes since. cut decides
// at one moment what survives: a file keeps what it had at its last
// Sync, plus a prefix of what was written since cut off at a random byte
// (torn), sometimes with that prefix's bytes zero (ext4 without a
// journal may persist a file's size before its data); a directory keeps
// its names as of its last SyncDir plus a random prefix of the changes
// since (a journalling filesystem commits them in order). After the cut
// every call fails with EIO, as the process would have died; restore
// then replaces the directory on disk with what survived.
//
// Sync does not call fdatasync: nothing here needs the real card.
type cutFS struct {
	root string

	mu        sync.Mutex
	rng       *rand.Rand
	dirs      map[string]*cutDir
	syncs     int    // Sync and SyncDir calls so far
	cutAfter  int    // cut right after this many syncs have returned; 0: only when cut is called
	cutRename string // cut right after a rename onto this name (before the directory's sync)
	dead      bool
	survivors map[string][]byte // set by cut: path -> what the card holds
	died      chan struct{}     // closed by cut
}

// cutInode is one file's data: what the card holds for sure, and what
// only the page cache holds. durable shares cur's array while the file
// is only appended to; Truncate gives cur a new one.
type cutInode struct{ cur, durable []byte }

// cutDir is one directory's names: synced, and now.
type cutDir struct {
	durable map[string]*cutInode
	cur     map[string]*cutInode
	pending []cutOp // changes since the last SyncDir, in order
}

// cutOp names ino name in a directory; ino nil removes the name.
type cutOp struct {
	name string
	ino  *cutInode
}

// newCutFS models root as it is now on disk, all of it durable (a store
// restored after the previous cut, or a new one).
func newCutFS(root string, seed uint64) (*cutFS, error) {
	f := &cutFS{root: root, rng: rand.New(rand.NewPCG(seed, 14)), dirs: map[string]*cutDir{}, died: make(chan struct{})}
	err := filepath.WalkDir(root, func(path string, de fs.DirEntry, err error) error {
		if err != nil || !de.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		d := f.dir(filepath.Dir(path))
		ino := &cutInode{cur: b, durable: b[:len(b):len(b)]}
		d.durable[de.Name()], d.cur[de.Name()] = ino, ino
		return nil
	})
	return f, err
}

// dir returns the model of directory path; the caller holds f.mu or
// owns f alone.
func (f *cutFS) dir(path string) *cutDir {
	path = filepath.Clean(path)
	d := f.dirs[path]
	if d == nil {
		d = &cutDir{durable: map[string]*cutInode{}, cur: map[string]*cutInode{}}
		f.dirs[path] = d
	}
	return d
}

func (d *cutDir) set(name string, ino *cutInode) {
	if ino == nil {
		delete(d.cur, name)
	} else {
		d.cur[name] = ino
	}
	d.pending = append(d.pending, cutOp{name, ino})
}

func eio(op, path string) error { return &os.PathError{Op: op, Path: path, Err: syscall.EIO} }

// Died is closed when the power is cut.
func (f *cutFS) Died() <-chan struct{} { return f.died }

func (f *cutFS) CreateTemp(dir, pattern string) (file, error) {
	return f.open("createtemp", dir, func() (*os.File, error) { return os.CreateTemp(dir, pattern) }, true)
}

func (f *cutFS) OpenAppend(name string) (file, error) {
	return f.open("open", name, func() (*os.File, error) {
		return os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	}, false)
}

// open opens a real file with do and attaches its inode: a new one when
// fresh, else the one its name has (a file the model does not know yet
// counts as durable as it is).
func (f *cutFS) open(op, name string, do func() (*os.File, error), fresh bool) (file, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.dead {
		return nil, eio(op, name)
	}
	osf, err := do()
	if err != nil {
		return nil, err
	}
	d, base := f.dir(filepath.Dir(osf.Name())), filepath.Base(osf.Name())
	ino := d.cur[base]
	if fresh || ino == nil {
		ino = &cutInode{}
		d.set(base, ino)
	}
	return &cutFile{fs: f, f: osf, ino: ino}, nil
}

func (f *cutFS) Rename(oldpath, newpath string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.dead {
		return eio("rename", oldpath)
	}
	if err := os.Rename(oldpath, newpath); err != nil {
		return err
	}
	od, nd := f.dir(filepath.Dir(oldpath)), f.dir(filepath.Dir(newpath))
	ino := od.cur[filepath.Base(oldpath)]
	od.set(filepath.Base(oldpath), nil)
	nd.set(filepath.Base(newpath), ino)
	if f.cutRename != "" && f.cutRename == filepath.Base(newpath) {
		f.cutLocked()
	}
	return nil
}

func (f *cutFS) Remove(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.dead {
		return eio("remove", name)
	}
	if err := os.Remove(name); err != nil {
		return err
	}
	f.dir(filepath.Dir(name)).set(filepath.Base(name), nil)
	return nil
}

func (f *cutFS) SyncDir(dir string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.dead {
		return eio("fsync", dir)
	}
	d := f.dir(dir)
	d.durable = cloneNames(d.cur)
	d.pending = nil
	f.synced()
	return nil
}

func cloneNames(m map[string]*cutInode) map[string]*cutInode {
	c := make(map[string]*cutInode, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func (f *cutFS) Free(string) (int64, error) { return 1 << 40, nil }

// synced counts a sync that returned and cuts the power if it was the
// one chosen. The caller holds f.mu.
func (f *cutFS) synced() {
	f.syncs++
	if f.syncs == f.cutAfter {
		f.cutLocked()
	}
}

// cut cuts the power now.
func (f *cutFS) cut() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cutLocked()
}

func (f *cutFS) cutLocked() {
	if f.dead {
		return
	}
	f.dead = true
	f.survivors = map[string][]byte{}
	for path, d := range f.dirs {
		names := cloneNames(d.durable)
		for _, op := range d.pending[:f.rng.IntN(len(d.pending)+1)] {
			if op.ino == nil {
				delete(names, op.name)
			} else {
				names[op.name] = op.ino
			}
		}
		for name, ino := range names {
			f.survivors[filepath.Join(path, name)] = f.tear(ino)
		}
	}
	close(f.died)
}

// tear is what the card holds of ino after the cut: its synced bytes and
// a random part of the rest.
func (f *cutFS) tear(ino *cutInode) []byte {
	if !bytes.HasPrefix(ino.cur, ino.durable) { // truncated since the sync
		if f.rng.IntN(2) == 0 {
			return slices.Clone(ino.durable)
		}
		return slices.Clone(ino.cur)
	}
	extra := ino.cur[len(ino.durable):]
	k := 0
	switch f.rng.IntN(3) {
	case 0: // nothing unsynced reached the card
	case 1:
		k = len(extra)
	default:
		k = f.rng.IntN(len(extra) + 1)
	}
	out := append(slices.Clone(ino.durable), extra[:k]...)
	if k > 0 && f.rng.IntN(3) == 0 { // the size reached the card, some data did not
		from := len(ino.durable) + f.rng.IntN(k)
		clear(out[from : from+f.rng.IntN(len(out)-from)+1])
	}
	return out
}

// restore replaces root on disk with what survived the cut. A file
// that survives under a name that is on disk is rewritten in place, so
// that it keeps its inode number (the index checkpoint names the log's).
func (f *cutFS) restore() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.dead {
		return eio("restore", f.root)
	}
	err := filepath.WalkDir(f.root, func(path string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		if _, ok := f.survivors[path]; !ok {
			return os.Remove(path)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for path, b := range f.survivors {
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return err
		}
		if err := os.WriteFile(path, b, 0o640); err != nil {
			return err
		}
	}
	return nil
}

// cutFile is an open file of a cutFS.
type cutFile struct {
	fs  *cutFS
	f   *os.File
	ino *cutInode
}

func (c *cutFile) Name() string { return c.f.Name() }

func (c *cutFile) Write(p []byte) (int, error) {
	c.fs.mu.Lock()
	defer c.fs.mu.Unlock()
	if c.fs.dead {
		return 0, eio("write", c.f.Name())
	}
	n, err := c.f.Write(p)
	c.ino.cur = append(c.ino.cur, p[:n]...) // the store only writes at the end
	return n, err
}

func (c *cutFile) Sync() error {
	c.fs.mu.Lock()
	defer c.fs.mu.Unlock()
	if c.fs.dead {
		return eio("fdatasync", c.f.Name())
	}
	c.ino.durable = c.ino.cur[:len(c.ino.cur):len(c.ino.cur)]
	c.fs.synced()
	return nil
}

func (c *cutFile) Truncate(size int64) error {
	c.fs.mu.Lock()
	defer c.fs.mu.Unlock()
	if c.fs.dead {
		return eio("truncate", c.f.Name())
	}
	if err := c.f.Truncate(size); err != nil {
		return err
	}
	cur := make([]byte, size) // a new array: durable keeps the old bytes
	copy(cur, c.ino.cur)
	c.ino.cur = cur
	return nil
}

func (c *cutFile) Close() error { return c.f.Close() }

// Punch zeros the range in what the page cache and the card hold: the
// store punches only the PDU of a message whose deletion is durable, so
// whether the hole itself survives a cut does not matter.
func (c *cutFile) Punch(off, n int64) error {
	c.fs.mu.Lock()
	defer c.fs.mu.Unlock()
	if c.fs.dead {
		return eio("fallocate", c.f.Name())
	}
	if err := (osFile{c.f}).Punch(off, n); err != nil {
		return err
	}
	for _, b := range [][]byte{c.ino.cur, c.ino.durable} {
		if off < int64(len(b)) {
			clear(b[off:min(off+n, int64(len(b)))])
		}
	}
	return nil
}
