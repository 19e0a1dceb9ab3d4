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
package atomicfile

import (
	"encoding/json"
	"os"
	"path/filepath"
)

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

// Write replaces path with data.
func Write(path string, data []byte, durable bool) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, TempPattern)
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
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
