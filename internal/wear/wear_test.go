package wear

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestSectorsWritten(t *testing.T) {
	// /sys/block/loop0/stat of a loop device after some writes.
	path := filepath.Join(t.TempDir(), "stat")
	line := "     112        0     4424       31     2345      120    81234     5678        0     1990     5709        0        0        0        0        0        0\n"
	if err := os.WriteFile(path, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := sectorsWritten(path)
	if err != nil || got != 81234*512 {
		t.Fatalf("sectorsWritten = %d, %v; want %d", got, err, 81234*512)
	}
	if err := os.WriteFile(path, []byte("1 2 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := sectorsWritten(path); err == nil {
		t.Fatal("a stat line of 3 fields parsed")
	}
}

// TestDevice writes 1 MiB and a fdatasync on a real loop device and
// checks that the device counted at least that.
func TestDevice(t *testing.T) {
	d, err := New(t.TempDir(), 64<<20)
	var un *UnavailableError
	if errors.As(err, &un) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := d.Close(); err != nil {
			t.Error(err)
		}
	}()
	before, err := d.Written()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d.Dir, "f"), make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	after, err := d.Written()
	if err != nil {
		t.Fatal(err)
	}
	if after-before < 1<<20 {
		t.Fatalf("device wrote %d bytes for a 1 MiB file", after-before)
	}
	t.Logf("1 MiB file: %d device bytes", after-before)
}
