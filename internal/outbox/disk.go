package outbox

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/homemmsc/homemmsc/internal/atomicfile"
)

// disk is the outbox directory. Every write is atomic and durable: temp
// file, fsync, rename, fsync of the directory.
type disk struct{ dir string }

func (d disk) path(name string) string { return filepath.Join(d.dir, name) }

func (d disk) write(it *Item) error {
	if err := atomicfile.WriteJSON(d.path(it.file), it, true); err != nil {
		return fmt.Errorf("outbox: writing %s: %w", it.file, err)
	}
	return nil
}

func (d disk) remove(name string) error { return atomicfile.Remove(d.path(name), true) }

// cleanTemps removes temp files a crash left behind.
func (d disk) cleanTemps() { atomicfile.RemoveTemps(d.dir) }

// items loads the queue, oldest first. An unreadable file, or one whose
// name does not match its item, is renamed .bad so that it does not
// block the others.
func (d disk) items() ([]*Item, error) {
	names, err := filepath.Glob(d.path("item.*.json"))
	if err != nil {
		return nil, err
	}
	var out []*Item
	for _, p := range names {
		it := &Item{}
		name := filepath.Base(p)
		if err := atomicfile.ReadJSON(p, it); err != nil || fileName(it.Kind, it.ID) != name {
			os.Rename(p, p+".bad")
			continue
		}
		it.file = name
		out = append(out, it)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].file < out[j].file
	})
	return out, nil
}

// journal is progress.log: a line "<file> <steps>" appended and synced
// as a Handler reports each sub-step, and "<file> done" once an item is
// sent. It is the commit point of a send: one write and one sync on a
// file that already exists, so the window in which a crash could forget
// that the far end took something is as short as it can be. The item's
// file catches up afterwards.
type journal struct{ f *os.File }

const journalName = "progress.log"

// progress is what the journal says of one item.
type progress struct {
	steps int
	done  bool
}

// openJournal opens progress.log for appending and returns what it
// records, by item file.
func openJournal(dir string) (*journal, map[string]progress, error) {
	path := filepath.Join(dir, journalName)
	seen := map[string]progress{}
	if f, err := os.Open(path); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			name, v, ok := strings.Cut(sc.Text(), " ")
			if !ok {
				continue
			}
			p := seen[name]
			if v == "done" {
				p.done = true
			} else if n, err := strconv.Atoi(v); err == nil && n > p.steps {
				p.steps = n
			}
			seen[name] = p
		}
		f.Close()
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("outbox: %w", err)
	}
	if err := atomicfile.SyncDir(dir); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("outbox: %w", err)
	}
	return &journal{f}, seen, nil
}

// record notes durably that item has done steps sub-steps.
func (j *journal) record(item string, steps int) error {
	return j.line(item + " " + strconv.Itoa(steps))
}

// done notes durably that item was sent.
func (j *journal) done(item string) error { return j.line(item + " done") }

func (j *journal) line(s string) error {
	if _, err := j.f.WriteString(s + "\n"); err != nil {
		return fmt.Errorf("outbox: journal: %w", err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("outbox: journal: %w", err)
	}
	return nil
}

// reset empties the journal once no item needs it. Losing the truncation
// in a power cut is harmless: the lines name items that are gone.
func (j *journal) reset() error { return j.f.Truncate(0) }

func (j *journal) close() error { return j.f.Close() }
