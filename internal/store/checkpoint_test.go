package store

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/homemmsc/homemmsc/internal/mms"
)

// indexView is what Open rebuilt, in a form two stores can be compared
// by: every entry with its texts looked up (their numbers may differ),
// the counters, the next sequence and where the log ends.
type indexView struct {
	Entries []string
	Stats   Stats
	NextSeq uint64
	Size    int64
	Last    logLine
	Log     []byte
}

func viewOf(t *testing.T, s *Store) indexView {
	t.Helper()
	s.mu.RLock()
	v := indexView{NextSeq: s.nextSeq, Size: s.msgs.size, Last: s.msgs.last}
	for i := range s.entries {
		e := &s.entries[i]
		v.Entries = append(v.Entries, fmt.Sprintf("%s %+v to=%q off=%d line=%d pdu=%d", e.id(), s.summary(e), s.summary(e).to, e.off, e.line, e.pdu))
	}
	s.mu.RUnlock()
	v.Stats = s.Stats()
	v.Stats.FreeBytes = 0
	v.Log = logBytes(t, s.dir)
	return v
}

// fullScan opens a copy of dir's log (and damaged/) without a
// checkpoint and returns what a full read of it gives.
func fullScan(t *testing.T, dir string) indexView {
	t.Helper()
	cp := t.TempDir()
	raw, err := os.ReadFile(filepath.Join(dir, logName))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(cp, logName), raw, 0o600))
	if dmg, err := os.ReadDir(filepath.Join(dir, damagedDir)); err == nil {
		must(t, os.MkdirAll(filepath.Join(cp, damagedDir), 0o750))
		for _, de := range dmg {
			b, err := os.ReadFile(filepath.Join(dir, damagedDir, de.Name()))
			must(t, err)
			must(t, os.WriteFile(filepath.Join(cp, damagedDir, de.Name()), b, 0o600))
		}
	}
	s, err := Open(Config{Dir: cp, MinFree: -1})
	must(t, err)
	defer s.Close()
	if s.ckptAt >= 0 {
		t.Fatal("the full scan's copy used a checkpoint")
	}
	return viewOf(t, s)
}

// kill leaves s as kill -9 would: its files closed (the page cache
// keeps what was written), no checkpoint written, the lock released.
func kill(t *testing.T, s *Store) {
	t.Helper()
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.inflight.Wait()
	must(t, s.msgs.close())
	must(t, s.lock.Close())
}

// fillVaried stores n messages from several senders, some with no
// subject, marks some seen and deletes some.
func fillVaried(t *testing.T, s *Store, tag string, n int) {
	t.Helper()
	for i := range n {
		in := message(fmt.Sprintf("%s-%d", tag, i), 50+i*37%900)
		in.Sender = Sender{Number: fmt.Sprintf("+1555000%04d", i%5), Source: SourceFrom}
		if i%3 == 0 {
			in.Sender = Sender{Number: "+15550001111", Name: "Alice", Source: SourceToken}
		}
		if i%7 == 0 {
			in.Msg.Subject = mms.EncodedString{}
		}
		if i%4 == 0 {
			in.Msg.To = in.Msg.To[:1]
		}
		m, err := s.Put(in)
		must(t, err)
		if i%3 == 1 {
			must(t, s.SetSeen(m.ID, true))
		}
		if i%5 == 2 {
			must(t, s.Delete(m.ID))
		}
	}
}

func sameIndex(t *testing.T, got, want indexView) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		for i := range max(len(got.Entries), len(want.Entries)) {
			var g, w string
			if i < len(got.Entries) {
				g = got.Entries[i]
			}
			if i < len(want.Entries) {
				w = want.Entries[i]
			}
			if g != w {
				t.Errorf("entry %d:\n got %s\nwant %s", i, g, w)
			}
		}
		t.Fatalf("index differs from a full scan's: stats %+v / %+v, nextSeq %d / %d, size %d / %d, last %v / %v, log %d / %d bytes",
			got.Stats, want.Stats, got.NextSeq, want.NextSeq, got.Size, want.Size, got.Last, want.Last, len(got.Log), len(want.Log))
	}
}

// openChecked opens cfg.Dir, says whether it read the checkpoint, and
// checks that its index is the one a full read of the log gives.
func openChecked(t *testing.T, cfg Config, wantCkpt bool) *Store {
	t.Helper()
	want := fullScan(t, cfg.Dir)
	s := openStore(t, cfg)
	if used := s.ckptAt >= 0; used != wantCkpt {
		t.Fatalf("Open used the checkpoint: %v, want %v", used, wantCkpt)
	}
	sameIndex(t, viewOf(t, s), want)
	return s
}

func TestCheckpointCleanClose(t *testing.T) {
	cfg := testConfig(t)
	s := openStore(t, cfg)
	if _, err := os.Stat(s.ckptPath()); err == nil {
		t.Fatal("a checkpoint before any Close")
	}
	fillVaried(t, s, "a", 60)
	must(t, s.Close())
	if _, err := os.Stat(s.ckptPath()); err != nil {
		t.Fatalf("no checkpoint after Close: %v", err)
	}
	s = openChecked(t, cfg, true)
	if s.texts.subject(s.entries[1].subject) == "" || len(s.texts.parties) < 6 {
		t.Fatalf("texts not restored: %d parties", len(s.texts.parties))
	}
	// Nothing appended: Close leaves the checkpoint as it was.
	before, err := os.ReadFile(s.ckptPath())
	must(t, err)
	must(t, s.Close())
	after, err := os.ReadFile(s.ckptPath())
	must(t, err)
	if !bytes.Equal(before, after) {
		t.Fatal("Close rewrote a checkpoint that still described the log")
	}
}

// TestCheckpointThenCrash: after a clean close, more messages, changes
// and deletions (of messages before and after the checkpoint), then a
// crash with a torn end: Open reads the checkpoint and the log after it,
// and gets what a full read gets; and again after a second crash.
func TestCheckpointThenCrash(t *testing.T) {
	cfg := testConfig(t)
	s := openStore(t, cfg)
	fillVaried(t, s, "a", 40)
	must(t, s.Close())
	s = openStore(t, cfg)
	old := s.IDs(Query{})
	must(t, s.SetSeen(old[0], true))
	must(t, s.SetSeen(old[1], false))
	must(t, s.Delete(old[2]))
	fillVaried(t, s, "b", 30)
	kill(t, s)
	appendFile(t, s.logPath(), `{"msg":{"id":"20261126-195454-009999","si`)
	s = openChecked(t, cfg, true)
	fillVaried(t, s, "c", 10)
	kill(t, s)
	s = openChecked(t, cfg, true)
	must(t, s.Close())
	openChecked(t, cfg, true)
}

// TestCheckpointCorrupt: a checkpoint that does not read is not used,
// is said so at WARN and removed; Open reads the whole log.
func TestCheckpointCorrupt(t *testing.T) {
	for _, at := range []int{3, 12, 40, ckptHeader + 5, -10, -2} {
		t.Run(fmt.Sprint(at), func(t *testing.T) {
			cfg := testConfig(t)
			var logs lockedBuffer
			cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			s := openStore(t, cfg)
			fillVaried(t, s, "a", 20)
			must(t, s.Close())
			b, err := os.ReadFile(s.ckptPath())
			must(t, err)
			b[(at+len(b))%len(b)] ^= 0x40
			must(t, os.WriteFile(s.ckptPath(), b, 0o600))
			openChecked(t, cfg, false)
			if logs.count("level=WARN msg=\"store: the index checkpoint does not read") != 1 {
				t.Fatalf("logs:\n%s", logs.b.String())
			}
			if _, err := os.Stat(s.ckptPath()); err == nil {
				t.Fatal("the corrupt checkpoint was kept")
			}
		})
	}
}

// TestCheckpointCompaction: Open's compaction removes the checkpoint
// before the new log replaces the old one, and a checkpoint of the old
// log put back (as if its removal had not reached the card) is not used.
func TestCheckpointCompaction(t *testing.T) {
	cfg := testConfig(t)
	s := openStore(t, cfg)
	fillVaried(t, s, "a", 30)
	must(t, s.Close())
	stale, err := os.ReadFile(s.ckptPath())
	must(t, err)
	s = openStore(t, cfg)
	for _, id := range s.IDs(Query{})[2:] {
		must(t, s.Delete(id))
	}
	kill(t, s)
	var logs lockedBuffer
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	s = openStore(t, cfg)
	if logs.count("store: log compacted") != 1 || s.ckptAt >= 0 || s.Stats().Messages != 2 {
		t.Fatalf("no compaction, or the checkpoint counts as current; logs:\n%s", logs.b.String())
	}
	if _, err := os.Stat(s.ckptPath()); err == nil {
		t.Fatal("the checkpoint of the old log survived compaction")
	}
	kill(t, s)
	must(t, os.WriteFile(s.ckptPath(), stale, 0o600))
	cfg.Logger = nil
	openChecked(t, cfg, false)
}

// TestCheckpointLogReplaced: a log replaced behind the store's back (a
// copy, a longer log of another store, an earlier state of the same
// file) is not read through the checkpoint.
func TestCheckpointLogReplaced(t *testing.T) {
	for _, how := range []string{"copy", "other", "shorter"} {
		t.Run(how, func(t *testing.T) {
			cfg := testConfig(t)
			s := openStore(t, cfg)
			fillVaried(t, s, "a", 10)
			must(t, s.Close())
			early := logBytes(t, cfg.Dir)
			s = openStore(t, cfg)
			fillVaried(t, s, "b", 10)
			must(t, s.Close())
			switch how {
			case "copy": // the same bytes, another file (inode)
				must(t, os.WriteFile(s.logPath()+".new", logBytes(t, cfg.Dir), 0o600))
				must(t, os.Rename(s.logPath()+".new", s.logPath()))
			case "other": // another store's longer log, in place
				ocfg := testConfig(t)
				o := openStore(t, ocfg)
				fillVaried(t, o, "other", 40)
				must(t, o.Close())
				must(t, os.WriteFile(s.logPath(), logBytes(t, ocfg.Dir), 0o600))
			case "shorter": // the log as it was, in place
				must(t, os.WriteFile(s.logPath(), early, 0o600))
			}
			openChecked(t, cfg, false)
		})
	}
}

// TestCheckpointRoundTrip: decode gives back what encode was given, and
// every truncation of a checkpoint is refused.
func TestCheckpointRoundTrip(t *testing.T) {
	cfg := testConfig(t)
	s := openStore(t, cfg)
	fillVaried(t, s, "a", 20)
	must(t, s.Close())
	b, err := os.ReadFile(s.ckptPath())
	must(t, err)
	c, err := decodeCheckpoint(b)
	must(t, err)
	if again := encodeCheckpoint(c); !bytes.Equal(again, b) {
		t.Fatal("encode(decode(b)) != b")
	}
	for n := range len(b) {
		if _, err := decodeCheckpoint(b[:n]); err == nil {
			t.Fatalf("a checkpoint cut to %d of %d bytes decoded", n, len(b))
		}
	}
	// Numbers pointing outside it, under a right CRC: refused too.
	for i, spoil := range []func(c *checkpoint){
		func(c *checkpoint) { c.entries[0].parties = uint32(len(c.parties)) },
		func(c *checkpoint) { c.entries[1].subject = uint32(len(c.subjects)) },
		func(c *checkpoint) { c.entries[2].pdu = c.at },
		func(c *checkpoint) { c.last.n = 0 },
		func(c *checkpoint) { c.entries[3].seq = c.hiSeq + 1 },
	} {
		c, err := decodeCheckpoint(b)
		must(t, err)
		spoil(c)
		if _, err := decodeCheckpoint(encodeCheckpoint(c)); err == nil {
			t.Fatalf("spoilt checkpoint %d decoded", i)
		}
	}
	if !strings.HasPrefix(string(b), ckptMagic) {
		t.Fatal("no magic")
	}
}

// TestCheckpointAtOpen: a start that read many records from the log
// (the last stop was a crash) writes a checkpoint itself, so that the
// next start after another crash reads only what came after it; a start
// that read few does not, and a Close with nothing new keeps the one
// Open wrote.
func TestCheckpointAtOpen(t *testing.T) {
	defer func(n int) { ckptAfterRecords = n }(ckptAfterRecords)
	ckptAfterRecords = 50
	cfg := testConfig(t)
	s := openStore(t, cfg)
	fillVaried(t, s, "a", 10) // about 20 records
	kill(t, s)
	s = openChecked(t, cfg, false)
	if _, err := os.Stat(s.ckptPath()); err == nil {
		t.Fatal("a checkpoint after a start that read 20 records")
	}
	fillVaried(t, s, "b", 40)
	kill(t, s)
	s = openChecked(t, cfg, false)
	written, err := os.ReadFile(s.ckptPath())
	if err != nil {
		t.Fatalf("no checkpoint after a start that read the whole log: %v", err)
	}
	must(t, s.Close())
	if after, err := os.ReadFile(s.ckptPath()); err != nil || !bytes.Equal(after, written) {
		t.Fatalf("Close rewrote the checkpoint Open wrote, with nothing new (%v)", err)
	}
	s = openStore(t, cfg)
	fillVaried(t, s, "c", 5)
	kill(t, s)
	openChecked(t, cfg, true) // the checkpoint of the second start, and the log after it
}
