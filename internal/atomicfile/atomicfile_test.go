package atomicfile

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteJSONReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	for i, durable := range []bool{true, false, true} {
		if err := WriteJSON(path, map[string]int{"n": i}, durable); err != nil {
			t.Fatal(err)
		}
		var got map[string]int
		b, err := os.ReadFile(path)
		if err != nil || json.Unmarshal(b, &got) != nil || got["n"] != i {
			t.Fatalf("write %d: read back %q, %v", i, b, err)
		}
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v; want 0600", fi.Mode(), err)
	}
	if tmps, _ := filepath.Glob(filepath.Join(dir, TempPattern)); len(tmps) != 0 {
		t.Fatalf("temporary files left: %v", tmps)
	}
}

func TestWriteFailsCleanly(t *testing.T) {
	dir := t.TempDir()
	// The target is a non-empty directory: the rename fails.
	path := filepath.Join(dir, "busy")
	if err := os.MkdirAll(filepath.Join(path, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, []byte("new"), true); err == nil {
		t.Fatal("rename over a non-empty directory succeeded")
	}
	if tmps, _ := filepath.Glob(filepath.Join(dir, TempPattern)); len(tmps) != 0 {
		t.Fatalf("temporary file left after a failed write: %v", tmps)
	}
	if err := WriteJSON(filepath.Join(dir, "f"), func() {}, true); err == nil {
		t.Fatal("unencodable value written")
	}
	if err := Write(filepath.Join(dir, "no-such-dir", "f"), nil, false); err == nil {
		t.Fatal("write into a missing directory succeeded")
	}
}

func TestRemoveTemps(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{".tmp-123", ".tmp-abc", "keep.json"} {
		os.WriteFile(filepath.Join(dir, name), nil, 0o600)
	}
	RemoveTemps(dir)
	left, _ := os.ReadDir(dir)
	if len(left) != 1 || left[0].Name() != "keep.json" {
		t.Fatalf("left %v, want keep.json only", left)
	}
}
