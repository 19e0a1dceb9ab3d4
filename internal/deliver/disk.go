package deliver

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/homemmsc/homemmsc/internal/atomicfile"
)

// disk is the state directory: one <message id>.json per message being
// delivered, and since.json, the time delivery was first turned on.
// Every write is atomic and durable: temp file, fsync, rename, fsync of
// the directory.
type disk struct{ dir string }

func (d disk) path(name string) string { return filepath.Join(d.dir, name) }

func (d disk) open() error {
	if err := os.MkdirAll(d.dir, 0o700); err != nil {
		return fmt.Errorf("deliver: %w", err)
	}
	atomicfile.RemoveTemps(d.dir)
	return nil
}

func (d disk) write(name string, v any) error {
	if err := atomicfile.WriteJSON(d.path(name), v, true); err != nil {
		return fmt.Errorf("deliver: writing %s: %w", name, err)
	}
	return nil
}

func (d disk) read(name string, v any) error {
	if err := atomicfile.ReadJSON(d.path(name), v); err != nil {
		return fmt.Errorf("deliver: %w", err)
	}
	return nil
}

func (d disk) remove(name string) error { return atomicfile.Remove(d.path(name), true) }

func (d disk) syncDir() error { return atomicfile.SyncDir(d.dir) }

// records loads every record; an unreadable one is renamed .bad so that
// it does not stop the others.
func (d disk) records() ([]*Record, []error) {
	names, err := filepath.Glob(d.path("*.json"))
	if err != nil {
		return nil, []error{err}
	}
	var out []*Record
	var errs []error
	for _, p := range names {
		name := filepath.Base(p)
		if name == sinceFile {
			continue
		}
		r := &Record{}
		if err := d.read(name, r); err != nil || r.ID+".json" != name {
			errs = append(errs, fmt.Errorf("deliver: %s unreadable, moved aside: %v", name, err))
			os.Rename(p, p+".bad")
			continue
		}
		out = append(out, r)
	}
	return out, errs
}

const sinceFile = "since.json"

// since returns when delivery was first turned on in this directory,
// recording now if it is the first time: messages stored before that are
// not delivered at start-up.
func (d disk) since(now time.Time) (time.Time, error) {
	var s struct{ Since time.Time }
	err := d.read(sinceFile, &s)
	if err == nil {
		return s.Since, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return time.Time{}, err
	}
	s.Since = now
	return now, d.write(sinceFile, s)
}

func recordName(id string) string { return id + ".json" }

// safeID reports whether a message id can be a file name: the store's
// ids are digits and '-'.
func safeID(id string) bool {
	return id != "" && len(id) <= 64 && strings.Trim(id, "0123456789-") == ""
}
