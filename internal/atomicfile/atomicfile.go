// Package atomicfile replaces small state files (the phone list, the SMS
// outbox, delivery records) so that a crash or a power cut leaves the old
// content or the new one, never a mix: the new content goes to a
// temporary file in the same directory, which is renamed over the old
// one. Renaming within a filesystem is atomic (rename(2)).
//
// Durable writes add two fsyncs: the temporary file's before the rename,
// so the name never points at data still in the page cache, and the
// directory's after it, so the rename itself is on the disk when Write
// returns. Without them the replacement is still atomic for a process
// crash, but a power cut may undo it.
//
// Temporary files are named ".tmp-*"; RemoveTemps deletes those a crash
// left behind. Files are created with mode 0600: they may hold secrets
// (phone tokens).
//
// ReadJSON reads such a file back, capped at MaxRead bytes so that a
// damaged or foreign file cannot make the reader hold it all; Remove
// deletes one, durably when asked.
package atomicfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// MaxRead caps what ReadJSON reads. The state files are a few hundred KB
// at most (a full SMS batch, a full phone list).
const MaxRead = 8 << 20

// TempPattern is the name pattern of the temporary files.
const TempPattern = ".tmp-*"

// WriteJSON replaces path with v encoded as JSON.
func WriteJSON(path string, v any, durable bool) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return Write(path, b, durable)
}

// Write replaces path with data, readable by its owner only.
func Write(path string, data []byte, durable bool) error {
	return WritePerm(path, data, 0o600, durable)
}

// WritePerm replaces path with data, with permissions perm (a file other
// programs read, such as the display's PNG).
func WritePerm(path string, data []byte, perm os.FileMode, durable bool) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, TempPattern)
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil && perm != 0o600 { // CreateTemp's
		err = f.Chmod(perm)
	}
	if err == nil && durable {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if durable {
		return SyncDir(dir)
	}
	return nil
}

// SyncDir fsyncs a directory, making the renames and removals done in it
// durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// RemoveTemps deletes the temporary files a crash left in dir.
func RemoveTemps(dir string) {
	tmps, _ := filepath.Glob(filepath.Join(dir, TempPattern))
	for _, t := range tmps {
		os.Remove(t)
	}
}

// ReadJSON decodes the file at path into v. A missing file gives an error
// that matches fs.ErrNotExist; a file over MaxRead bytes, or one that is
// not a single JSON value, an error naming path.
func ReadJSON(path string, v any) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxRead+1))
	switch {
	case err != nil:
		return err
	case len(b) > MaxRead:
		return fmt.Errorf("%s: larger than %d bytes", path, MaxRead)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// Remove deletes path; a file already gone is not an error. durable
// fsyncs the directory afterwards, so that the removal survives a power
// cut.
func Remove(path string, durable bool) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if !durable {
		return nil
	}
	return SyncDir(filepath.Dir(path))
}
