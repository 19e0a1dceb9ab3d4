package health

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/homemmsc/homemmsc/internal/wear"
)

// loopDevice is an ext4 image on a loop device, or a skip.
func loopDevice(tb testing.TB) *wear.Device {
	tb.Helper()
	return wear.ForTest(tb, 64<<20)
}

// TestCheckDiskReadOnly remounts a real ext4 read-only, and then makes it
// stop writing as ext4 does after an I/O error with errors=remount-ro.
func TestCheckDiskReadOnly(t *testing.T) {
	d := loopDevice(t)
	if err := CheckDisk(d.Dir); err != nil {
		t.Fatalf("writable: %v", err)
	}
	if out, err := exec.Command("mount", "-o", "remount,ro", d.Dir).CombinedOutput(); err != nil {
		t.Fatalf("remount ro: %v: %s", err, out)
	}
	if err := CheckDisk(d.Dir); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("read-only: %v, want ErrReadOnly", err)
	}
	if out, err := exec.Command("mount", "-o", "remount,rw,errors=remount-ro", d.Dir).CombinedOutput(); err != nil {
		t.Fatalf("remount rw: %v: %s", err, out)
	}
	// An I/O error on ext4 mounted errors=remount-ro, with a file open
	// for writing (the store's log): the kernel stops all writes.
	f, err := os.Create(filepath.Join(d.Dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := os.WriteFile(d.ErrorTrigger(), []byte("homemmsc test\n"), 0o200); err != nil {
		t.Fatal(err)
	}
	if err := CheckDisk(d.Dir); !errors.Is(err, syscall.EROFS) {
		t.Fatalf("after an ext4 error: %v, want EROFS", err)
	}
}

// BenchmarkDiskChecks measures the device bytes each way of checking
// the store's filesystem costs, with the journal committed after every
// check (syncfs), as ext4's 5 s commit interval does between checks
// 10 s apart: the test write the watchdog made (create, write, fsync,
// remove), the one /healthz made (the same without the fsync), and
// CheckDisk. dev-B/check times 8640 (a check every 10 s) is a day.
//
//	go test -run '^$' -bench DiskChecks -benchtime 200x ./internal/health
func BenchmarkDiskChecks(b *testing.B) {
	d := loopDevice(b)
	for _, c := range []struct {
		name  string
		check func(dir string) error
	}{
		{"write+fsync+remove", func(dir string) error { return testWrite(filepath.Join(dir, ".probe"), true) }},
		{"write+remove", func(dir string) error { return testWrite(filepath.Join(dir, ".probe"), false) }},
		{"CheckDisk", CheckDisk},
	} {
		b.Run(c.name, func(b *testing.B) {
			dir := filepath.Join(d.Dir, fmt.Sprint(c.name, b.N))
			if err := os.Mkdir(dir, 0o750); err != nil {
				b.Fatal(err)
			}
			before, err := d.Written()
			if err != nil {
				b.Fatal(err)
			}
			for range b.N {
				if err := c.check(dir); err != nil {
					b.Fatal(err)
				}
				if _, err := d.Written(); err != nil {
					b.Fatal(err)
				}
			}
			after, _ := d.Written()
			b.ReportMetric(float64(after-before)/float64(b.N), "dev-B/check")
			b.ReportMetric(float64(after-before)/float64(b.N)*8640/1e6, "MB/day@10s")
		})
	}
}

// testWrite is the check the watchdog and /healthz made before
// CheckDisk: create path, write a line, fsync if sync, close, remove.
func testWrite(path string, sync bool) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write([]byte("ok\n"))
	if sync {
		err = errors.Join(err, f.Sync())
	}
	return errors.Join(err, f.Close(), os.Remove(path))
}
