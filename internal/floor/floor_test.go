package floor

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
)

// TestLogRoundTrip appends from 8 writers at once and reads every
// record back whole, at the offset Append returned.
func TestLogRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	l, err := OpenLog(path)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	offs := map[int64]string{}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 20 {
				msg := fmt.Sprintf("writer %d message %d %s", w, i, bytes.Repeat([]byte{'x'}, w*100+i))
				off, err := l.Append([]byte(msg))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				offs[off] = msg
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var off int64
	n := 0
	err = ReadLog(f, func(rec []byte) error {
		if want, ok := offs[off]; !ok || want != string(rec) {
			return fmt.Errorf("record at %d = %.20q, want %.20q", off, rec, want)
		}
		off += 4 + int64(len(rec))
		n++
		return nil
	})
	if err != nil || n != 160 {
		t.Fatalf("ReadLog: %d records, %v; want 160", n, err)
	}
}

func TestLogReopenAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	for _, msg := range []string{"one", "two"} {
		l, err := OpenLog(path)
		if err != nil {
			t.Fatal(err)
		}
		off, err := l.Append([]byte(msg))
		if err != nil {
			t.Fatal(err)
		}
		if want := map[string]int64{"one": 0, "two": 7}[msg]; off != want {
			t.Errorf("%s at %d, want %d", msg, off, want)
		}
		l.Close()
	}
}

func TestReadLogDamaged(t *testing.T) {
	good := []byte("\x00\x00\x00\x03abc")
	for _, tc := range []struct {
		name string
		log  []byte
		want error
	}{
		{"cut in the header", append(good, 0, 0), ErrTruncated},
		{"cut in the body", append(good, 0, 0, 0, 9, 'a'), ErrTruncated},
		{"huge length", append(good, 0xFF, 0, 0, 0), ErrTooLarge},
	} {
		n := 0
		err := ReadLog(bytes.NewReader(tc.log), func([]byte) error { n++; return nil })
		if !errors.Is(err, tc.want) || n != 1 {
			t.Errorf("%s: %d records, %v; want 1, %v", tc.name, n, err, tc.want)
		}
	}
}

func TestAppendTooLarge(t *testing.T) {
	l, err := OpenLog(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := l.Append(make([]byte, MaxRecord+1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Append of MaxRecord+1 bytes: %v", err)
	}
}

func TestFilesPut(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "files")
	d, err := OpenFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range []string{"a", "bb"} {
		if err := d.Put([]byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	for name, want := range map[string]string{"000001.mms": "a", "000002.mms": "bb"} {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(b) != want {
			t.Errorf("%s = %q, %v; want %q", name, b, err, want)
		}
	}
}

// TestGroupSyncShares: writers that arrive while a sync runs wait for
// the next one, and share it.
func TestGroupSyncShares(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var calls atomic.Int32
		g := newGroupSync(func() error { calls.Add(1); <-release; return nil })
		var wg sync.WaitGroup
		wg.Go(func() { g.wait() })
		synctest.Wait() // the first sync runs, blocked
		var done atomic.Int32
		for range 3 {
			wg.Go(func() { g.wait(); done.Add(1) })
		}
		synctest.Wait()
		release <- struct{}{} // the first sync ends: it does not cover the three
		synctest.Wait()
		if done.Load() != 0 || calls.Load() != 2 {
			t.Fatalf("after the first sync: %d of 3 returned, %d syncs; want 0, 2", done.Load(), calls.Load())
		}
		release <- struct{}{}
		wg.Wait()
		if calls.Load() != 2 {
			t.Fatalf("%d syncs for 4 writers in two waves; want 2", calls.Load())
		}
	})
}

func TestGroupSyncKeepsError(t *testing.T) {
	boom := errors.New("EIO")
	n := 0
	g := newGroupSync(func() error {
		n++
		if n == 1 {
			return boom
		}
		return nil
	})
	for i := range 2 {
		if err := g.wait(); !errors.Is(err, boom) {
			t.Fatalf("wait %d = %v, want the first sync's error", i, err)
		}
	}
}
