package store

import (
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// cutLogs collects what the stores of TestPowerCut log, to count what
// Open did.
var (
	cutLogs = &lockedBuffer{}
	cutLog  = slog.New(slog.NewTextHandler(cutLogs, nil))
)

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.b.String(), s)
}

var powerCuts = flag.Int("powercuts", 0, "power cuts in TestPowerCut (default 12; make soak runs 200)")

// TestPowerCut stores messages from 8 goroutines over a cutFS and cuts
// the power, alternately at a random moment and right after a randomly
// chosen sync returns (which may fall in Open's own repairs), then puts
// on disk only what survived and opens the store again. After every cut:
// every message whose Put returned is listed and its PDU matches the
// sha256 it was acknowledged with; every message listed is whole (its
// PDU is byte for byte one that was sent, with that PDU's metadata); no temporary file
// is left. kill -9 cannot test this: the kernel keeps the page cache.
func TestPowerCut(t *testing.T) {
	rounds := 12
	if *powerCuts > 0 {
		rounds = *powerCuts
	}
	// A start after a cut reads a round's records or more: it writes a
	// checkpoint of its own, and cuts fall inside that too.
	defer func(n int) { ckptAfterRecords = n }(ckptAfterRecords)
	ckptAfterRecords = 30
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	seed := rng.Uint64()
	t.Logf("seed %d (the cuts are random; a failure names its round)", seed)
	acked := map[string]string{} // id -> sha256 of the PDU at Ok
	sent := map[string]string{}  // sha256 of every PDU offered -> its Transaction-Id
	deleted := map[string]bool{} // ids whose Delete returned nil
	total := 0
	for round := range rounds {
		f, err := newCutFS(dir, seed+uint64(round))
		must(t, err)
		closing := round%3 == 2 && round%5 != 0
		switch {
		case closing: // the writers stop, Close writes the checkpoint, the power goes
		case round%5 == 0 && round > 0:
			// The round before deleted nearly everything: Open compacts
			// the log, and the power goes in the middle of it.
			f.cutAfter = 1 + rng.IntN(3)
		case round%2 == 1:
			f.cutAfter = 1 + rng.IntN(60)
		}
		closeCut := -1
		if closing {
			closeCut = (round/3 + 3) % 5 // round 2: a checkpoint that survives
		}
		n := powerCutRound(t, f, round, time.Duration(rng.IntN(20_000))*time.Microsecond, closeCut, acked, sent, deleted)
		total += n
		must(t, f.restore())
	}
	s, err := Open(Config{Dir: dir, MinFree: -1})
	must(t, err)
	defer s.Close()
	checkAfterCut(t, s, dir, acked, sent, deleted, rounds)
	if total == 0 {
		t.Fatal("no Put was acknowledged in any round")
	}
	used := cutCkptUsed.Load()
	t.Logf("%d power cuts, %d messages acknowledged, %d listed at the end; Open compacted the log %d times, cut a torn end %d times, read the index checkpoint %d times",
		rounds, total, len(list(s)), cutLogs.count("store: log compacted"), cutLogs.count("store: cut the end of the log"), used)
	if rounds >= 50 && used == 0 {
		t.Fatal("no Open read an index checkpoint")
	}
}

// cutCkptUsed counts the Opens of TestPowerCut that read the index
// checkpoint.
var cutCkptUsed atomic.Int64

// powerCutRound opens the store over f, checks it (and, when it read the
// index checkpoint, that its index is what a full read of the log
// gives), stores from 8
// goroutines, one of which also marks messages seen and deletes them
// (every fifth round, all do, and what earlier rounds stored is deleted
// first, so that the next round's Open compacts the log, cut short by
// the power), until the power is cut (after wait, unless f cuts at a sync) and
// returns how many Puts were acknowledged. With closeCut 0-4 the writers
// stop after wait and Close is called, and the power goes during its
// checkpoint: after its sync of the log (0), after the sync of the
// checkpoint's temporary file (1), right after its rename (2), after
// the sync of the directory (3), or after Close returned (4).
func powerCutRound(t *testing.T, f *cutFS, round int, wait time.Duration, closeCut int, acked, sent map[string]string, deleted map[string]bool) int {
	t.Helper()
	var want *indexView
	if _, err := os.Stat(filepath.Join(f.root, ckptName)); err == nil && f.cutAfter == 0 {
		v := fullScan(t, f.root)
		want = &v
	}
	s, err := Open(Config{Dir: f.root, MinFree: -1, fs: f, Logger: cutLog})
	if err != nil {
		select {
		case <-f.Died(): // cut during Open's repairs: the next round checks
			return 0
		default:
			t.Fatalf("round %d: Open: %v", round, err)
		}
	}
	select {
	case <-f.Died(): // cut while Open wrote its own checkpoint: the next round checks
		s.Close()
		return 0
	default:
	}
	if s.ckptAt >= 0 {
		cutCkptUsed.Add(1)
		if want != nil {
			sameIndex(t, viewOf(t, s), *want)
		}
	}
	checkAfterCut(t, s, f.root, acked, sent, deleted, round)
	var mu sync.Mutex
	if round%5 == 4 {
		// Delete what earlier rounds stored before the power can go,
		// so that the next Open has more dead bytes than live ones.
		f.mu.Lock()
		armed := f.cutAfter
		f.cutAfter = 0
		f.mu.Unlock()
		for _, id := range s.IDs(Query{}) {
			mu.Lock()
			churn(s, id, &mu, acked, deleted)
			mu.Unlock()
		}
		if armed > 0 {
			f.mu.Lock()
			f.cutAfter = f.syncs + armed
			f.mu.Unlock()
		}
	}
	f.mu.Lock()
	timed := f.cutAfter == 0 && closeCut < 0
	f.mu.Unlock()
	if timed {
		timer := time.AfterFunc(wait, f.cut)
		defer timer.Stop()
	}
	stop := make(chan struct{})
	if closeCut >= 0 {
		timer := time.AfterFunc(wait, func() { close(stop) })
		defer timer.Stop()
	}
	var wg sync.WaitGroup
	n := 0
	for g := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				in := message(fmt.Sprintf("r%d-g%d-%d", round, g, i), 2_000+(g*7919+i*104729)%30_000)
				sum := sha(in.PDU)
				mu.Lock()
				sent[sum] = in.Msg.TransactionID
				mu.Unlock()
				m, err := s.Put(in)
				mu.Lock()
				if err == nil {
					acked[m.ID] = sum
					n++
				}
				if err == nil && (g == 0 && i%2 == 1 || round%5 == 4) {
					churn(s, m.ID, &mu, acked, deleted)
				}
				mu.Unlock()
				select {
				case <-f.Died():
					return
				case <-stop:
					return
				default:
				}
			}
		})
	}
	wg.Wait()
	if closeCut >= 0 {
		f.mu.Lock()
		switch closeCut {
		case 0, 1:
			f.cutAfter = f.syncs + 1 + closeCut
		case 2:
			f.cutRename = ckptName
		case 3:
			f.cutAfter = f.syncs + 3
		}
		f.mu.Unlock()
	}
	s.Close() // fails when the power is off
	f.cut()
	return n
}

// churn marks id seen and deletes it: from then on it need not be
// there, and once Delete returns it must not be. The caller holds mu,
// which churn releases while the store works.
func churn(s *Store, id string, mu *sync.Mutex, acked map[string]string, deleted map[string]bool) {
	delete(acked, id)
	mu.Unlock()
	s.SetSeen(id, true)
	err := s.Delete(id)
	mu.Lock()
	if err == nil {
		deleted[id] = true
	}
}

// checkAfterCut checks an opened store against what was acknowledged,
// deleted and sent before the cuts.
func checkAfterCut(t *testing.T, s *Store, dir string, acked, sent map[string]string, deleted map[string]bool, round int) {
	t.Helper()
	for id := range deleted {
		if _, ok := s.Get(id); ok {
			t.Fatalf("after cut %d: %s is listed again after its Delete returned", round, id)
		}
	}
	for id, sum := range acked {
		m, ok := s.Get(id)
		if !ok {
			t.Fatalf("after cut %d: acknowledged %s lost", round, id)
		}
		if got := readAll(t, s, id); got != sum || sent[got] != m.TransactionID {
			t.Fatalf("after cut %d: %s: PDU sha256 %s, acknowledged %s; metadata of %q", round, id, got, sum, m.TransactionID)
		}
	}
	for _, m := range list(s) {
		if got := readAll(t, s, m.ID); sent[got] != m.TransactionID {
			t.Fatalf("after cut %d: %s listed but not whole: PDU sha256 %s is not the PDU of %q that was sent", round, m.ID, got, m.TransactionID)
		}
	}
	filepath.WalkDir(dir, func(path string, de fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(de.Name(), tempPrefix) {
			t.Fatalf("after cut %d: temporary file %s survived Open", round, path)
		}
		return err
	})
}

// readAll returns the sha256 of id's PDU as the store serves it.
func readAll(t *testing.T, s *Store, id string) string {
	t.Helper()
	f, err := s.OpenPDU(id)
	must(t, err)
	defer f.Close()
	b, err := io.ReadAll(f)
	must(t, err)
	return sha(b)
}
