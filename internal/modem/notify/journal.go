package notify

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// journal is sent.log: a line "<entry> <parts accepted>" appended and
// synced right after each +CMGS: reply. It is the commit point of a send:
// one write and one sync on a file that already exists, so that the
// window in which a crash could forget that the modem took a part is as
// short as it can be. The entry file and the ledger catch up afterwards.
type journal struct{ f *os.File }

const journalName = "sent.log"

// openJournal opens sent.log for appending and returns what it records:
// entry name → parts accepted.
func openJournal(dir string) (*journal, map[string]int, error) {
	path := filepath.Join(dir, journalName)
	sent := map[string]int{}
	if f, err := os.Open(path); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			name, count, ok := strings.Cut(sc.Text(), " ")
			if n, err := strconv.Atoi(count); ok && err == nil && n > sent[name] {
				sent[name] = n
			}
		}
		f.Close()
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("notify: %w", err)
	}
	if err := (disk{dir}).syncDir(); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("notify: %w", err)
	}
	return &journal{f}, sent, nil
}

// record notes that the modem accepted parts of entry, durably.
func (j *journal) record(entry string, parts int) error {
	if _, err := fmt.Fprintf(j.f, "%s %d\n", entry, parts); err != nil {
		return fmt.Errorf("notify: journal: %w", err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("notify: journal: %w", err)
	}
	return nil
}

// reset empties the journal once no entry needs it. Losing the truncation
// in a power cut is harmless: the lines name entries that are gone.
func (j *journal) reset() error { return j.f.Truncate(0) }

func (j *journal) close() error { return j.f.Close() }
