package store

import (
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var powerCuts = flag.Int("powercuts", 0, "power cuts in TestPowerCut (default 12; make soak runs 200)")

// TestPowerCut stores messages from 8 goroutines over a cutFS and cuts
// the power, alternately at a random moment and right after a randomly
// chosen sync returns (which may fall in Open's own repairs), then puts
// on disk only what survived and opens the store again. After every cut:
// every message whose Put returned is listed and its PDU matches the
// sha256 it was acknowledged with; every message listed is whole (its
// PDU matches its metadata and is one that was sent); no temporary file
// is left. kill -9 cannot test this: the kernel keeps the page cache.
func TestPowerCut(t *testing.T) {
	rounds := 12
	if *powerCuts > 0 {
		rounds = *powerCuts
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	seed := rng.Uint64()
	t.Logf("seed %d (the cuts are random; a failure names its round)", seed)
	acked := map[string]string{} // id -> sha256 at Ok
	sent := map[string]bool{}    // sha256 of every PDU offered
	total := 0
	for round := range rounds {
		f, err := newCutFS(dir, seed+uint64(round))
		must(t, err)
		if round%2 == 1 {
			f.cutAfter = 1 + rng.IntN(60)
		}
		n := powerCutRound(t, f, round, time.Duration(rng.IntN(20_000))*time.Microsecond, acked, sent)
		total += n
		must(t, f.restore())
	}
	s, err := Open(Config{Dir: dir, MinFree: -1})
	must(t, err)
	defer s.Close()
	checkAfterCut(t, s, dir, acked, sent, rounds)
	if total == 0 {
		t.Fatal("no Put was acknowledged in any round")
	}
	t.Logf("%d power cuts, %d messages acknowledged, %d listed at the end", rounds, total, len(list(s)))
}

// powerCutRound opens the store over f, checks it, stores from 8
// goroutines until the power is cut (after wait, unless f cuts at a
// sync) and returns how many Puts were acknowledged.
func powerCutRound(t *testing.T, f *cutFS, round int, wait time.Duration, acked map[string]string, sent map[string]bool) int {
	t.Helper()
	s, err := Open(Config{Dir: f.root, MinFree: -1, fs: f})
	if err != nil {
		select {
		case <-f.Died(): // cut during Open's repairs: the next round checks
			return 0
		default:
			t.Fatalf("round %d: Open: %v", round, err)
		}
	}
	checkAfterCut(t, s, f.root, acked, sent, round)
	if f.cutAfter == 0 {
		timer := time.AfterFunc(wait, f.cut)
		defer timer.Stop()
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	n := 0
	for g := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				in := message(fmt.Sprintf("r%d-g%d-%d", round, g, i), 2_000+(g*7919+i*104729)%30_000)
				mu.Lock()
				sent[sha(in.PDU)] = true
				mu.Unlock()
				m, err := s.Put(in)
				mu.Lock()
				if err == nil {
					acked[m.ID] = m.SHA256
					n++
				}
				mu.Unlock()
				select {
				case <-f.Died():
					return
				default:
				}
			}
		})
	}
	wg.Wait()
	s.Close() // fails: the power is off
	return n
}

// checkAfterCut checks an opened store against what was acknowledged
// and sent before the cuts.
func checkAfterCut(t *testing.T, s *Store, dir string, acked map[string]string, sent map[string]bool, round int) {
	t.Helper()
	for id, sum := range acked {
		m, ok := s.Get(id)
		if !ok {
			t.Fatalf("after cut %d: acknowledged %s lost", round, id)
		}
		if got := readAll(t, s, id); got != sum || m.SHA256 != sum {
			t.Fatalf("after cut %d: %s: PDU sha256 %s, metadata %s, acknowledged %s", round, id, got, m.SHA256, sum)
		}
	}
	for _, m := range list(s) {
		if got := readAll(t, s, m.ID); got != m.SHA256 || !sent[got] {
			t.Fatalf("after cut %d: %s listed but not whole: PDU sha256 %s, metadata %s, sent %v", round, m.ID, got, m.SHA256, sent[got])
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
