package store

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestQuotaRefusesWithErrFull(t *testing.T) {
	cfg := testConfig(t)
	s := openStore(t, cfg)
	if _, err := s.Put(message("0", 20_000)); err != nil {
		t.Fatal(err)
	}
	per := s.Stats().Bytes // PDU plus metadata of one message
	s.Close()
	cfg.MaxBytes = 2*per + per/2
	s = openStore(t, cfg)
	one, err := s.Put(message("1", 20_000))
	if err != nil {
		t.Fatalf("Put under quota: %v", err)
	}
	_, err = s.Put(message("over", 20_000))
	if !errors.Is(err, ErrFull) {
		t.Fatalf("Put over quota = %v, want ErrFull", err)
	}
	st := s.Stats()
	if st.Messages != 2 {
		t.Fatalf("after refusal: %d messages", st.Messages)
	}
	if !strings.Contains(st.LastError, "quota") || st.LastErrorAt.IsZero() {
		t.Fatalf("Stats.LastError = %q at %v", st.LastError, st.LastErrorAt)
	}
	// The refusal is told as the quota's, though the quota is not reached:
	// the message did not fit in what was left.
	if st.Full != FullQuota || st.FullSince.IsZero() || st.FullNeeded < 20_000 || st.Bytes >= cfg.MaxBytes {
		t.Fatalf("Stats.Full = %q since %v with %d of %d bytes", st.Full, st.FullSince, st.Bytes, cfg.MaxBytes)
	}
	// A small message still fits; the refused one still does not.
	if _, err := s.Put(message("small", 100)); err != nil {
		t.Fatalf("a small Put after the refusal: %v", err)
	}
	if st := s.Stats(); st.Full != FullQuota {
		t.Fatalf("after a smaller message was stored, Stats.Full = %q: the refused one still does not fit", st.Full)
	}
	// Nothing is deleted automatically; the owner frees space, and the
	// store says so before the next message comes.
	must(t, s.Delete(one.ID))
	if st := s.Stats(); st.Full != "" {
		t.Fatalf("after the owner freed space, Stats.Full = %q", st.Full)
	}
	if _, err := s.Put(message("after-delete", 20_000)); err != nil {
		t.Fatalf("Put after the owner freed space: %v", err)
	}
}

func TestMinFreeRefusesWithErrFull(t *testing.T) {
	cfg := testConfig(t)
	ffs := &faultFS{free: 40 << 20}
	cfg.fs = ffs
	cfg.MinFree = 0 // default floor: 32 MiB
	s := openStore(t, cfg)
	if _, err := s.Put(message("fits", 1<<20)); err != nil {
		t.Fatalf("Put with 40 MiB free: %v", err)
	}
	ffs.free = 32<<20 + 100<<10 // still above the floor, not by a whole message
	if _, err := s.Put(message("floor", 200<<10)); !errors.Is(err, ErrFull) {
		t.Fatalf("Put that would cross the free-space floor = %v, want ErrFull", err)
	}
	if got := s.Stats(); got.FreeBytes != ffs.free || got.Messages != 1 || got.Full != FullDisk {
		t.Fatalf("Stats = %+v", got)
	}
	ffs.free = 40 << 20 // the owner freed the card
	if got := s.Stats(); got.Full != "" {
		t.Fatalf("with room again, Stats.Full = %q", got.Full)
	}
}

// TestWriteFaults injects ENOSPC, EDQUOT and EIO into every write step
// of Put and checks that nothing is left: no part of a record in the
// log, no temp file, an unchanged index before and after reopening, and
// ErrFull exactly for the full-disk errors.
func TestWriteFaults(t *testing.T) {
	steps := []struct {
		op    string
		after int // writes: 0 the line, 1 the PDU, 2 the newline after it
	}{
		{"write", 0}, {"write", 1}, {"write", 2}, {"sync", 0},
	}
	for _, errno := range []unix.Errno{unix.ENOSPC, unix.EDQUOT, unix.EIO} {
		for _, st := range steps {
			t.Run(fmt.Sprintf("%v/%s#%d", errno, st.op, st.after), func(t *testing.T) {
				testWriteFault(t, errno, st.op, st.after)
			})
		}
	}
}

func testWriteFault(t *testing.T, errno unix.Errno, op string, after int) {
	cfg := testConfig(t)
	ffs := &faultFS{}
	cfg.fs = ffs
	s := openStore(t, cfg)
	first, err := s.Put(message("first", 5000))
	must(t, err)
	ffs.op, ffs.after, ffs.err = op, after, errno
	_, err = s.Put(message("second", 5000))
	ffs.check(t)
	if !errors.Is(err, errno) {
		t.Fatalf("Put = %v, want it to wrap %v", err, errno)
	}
	if full := errno != unix.EIO; errors.Is(err, ErrFull) != full {
		t.Fatalf("Put = %v: ErrFull should be %v", err, full)
	}
	if names := storeNames(t, cfg.Dir); !slices.Equal(names, []string{"lock", logName}) {
		t.Fatalf("files after failed Put: %v", names)
	}
	if op == "write" {
		if info, _ := os.Stat(s.logPath()); info.Size() != s.msgs.size {
			t.Fatalf("log of %d bytes after a failed write, %d of whole records", info.Size(), s.msgs.size)
		}
	}
	if got := ids(list(s)); !slices.Equal(got, []string{first.ID}) {
		t.Fatalf("List after failed Put: %v", got)
	}
	ffs.disarm()
	third, err := s.Put(message("third", 5000))
	if err != nil {
		t.Fatalf("Put once the fault is gone: %v", err)
	}
	s.Close()
	s = openStore(t, cfg)
	if got := ids(list(s)); !slices.Equal(got, []string{third.ID, first.ID}) {
		t.Fatalf("List after reopening: %v, want %s and %s", got, third.ID, first.ID)
	}
}

func TestSetSeenFaultKeepsState(t *testing.T) {
	cfg := testConfig(t)
	ffs := &faultFS{}
	cfg.fs = ffs
	s := openStore(t, cfg)
	m, _ := s.Put(message("a", 10))
	ffs.op, ffs.err = "sync", unix.ENOSPC
	if err := s.SetSeen(m.ID, true); !errors.Is(err, ErrFull) {
		t.Fatalf("SetSeen = %v, want ErrFull", err)
	}
	ffs.check(t)
	if got, _ := s.Get(m.ID); got.Seen || s.Stats().New != 1 {
		t.Fatal("failed SetSeen changed the state")
	}
	s.Close()
	ffs.disarm()
	if got, _ := openStore(t, cfg).Get(m.ID); got.Seen {
		t.Fatal("failed SetSeen reached the disk")
	}
}

func TestMarkAllSeenFaultMidway(t *testing.T) {
	cfg := testConfig(t)
	ffs := &faultFS{}
	cfg.fs = ffs
	s := openStore(t, cfg)
	for i := range 3 {
		s.Put(message(fmt.Sprint(i), 10))
	}
	ffs.op, ffs.after, ffs.err = "write", 1, unix.ENOSPC // the second rewrite fails
	err := s.MarkAllSeen()
	ffs.check(t)
	if !errors.Is(err, ErrFull) {
		t.Fatalf("MarkAllSeen = %v", err)
	}
	if st := s.Stats(); st.New != 2 || countNew(list(s)) != 2 {
		t.Fatalf("after a failure on the second message: New=%d, List unseen=%d; want 2", st.New, countNew(list(s)))
	}
	s.Close()
	ffs.disarm()
	if n := countNew(list(openStore(t, cfg))); n != 2 {
		t.Fatalf("after reopen %d unseen, want 2", n)
	}
}
