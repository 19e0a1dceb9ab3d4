package atomicfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
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

// ReadJSON reads back what WriteJSON wrote, says fs.ErrNotExist for a
// missing file, and refuses trailing junk and files over MaxRead.
func TestReadJSON(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "state.json")
	if err := WriteJSON(p, map[string]int{"a": 1}, false); err != nil {
		t.Fatal(err)
	}
	var got map[string]int
	if err := ReadJSON(p, &got); err != nil || got["a"] != 1 {
		t.Fatalf("ReadJSON = %v, %v", got, err)
	}
	if err := ReadJSON(filepath.Join(dir, "none.json"), &got); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	for name, data := range map[string][]byte{
		"junk.json": []byte(`{"a":1} x`),
		"big.json":  append(append([]byte(`"`), bytes.Repeat([]byte("x"), MaxRead)...), '"'),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
		var s any
		if err := ReadJSON(filepath.Join(dir, name), &s); err == nil {
			t.Errorf("%s read without error", name)
		}
	}
}

// Remove deletes a file, and a file already gone is not an error.
func TestRemove(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.json")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := Remove(p, true); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("still there: %v", err)
	}
}

// Write keeps a file to its owner; WritePerm gives the mode asked for.
func TestWritePerm(t *testing.T) {
	dir := t.TempDir()
	for name, c := range map[string]struct {
		write func(string) error
		want  os.FileMode
	}{
		"private": {func(p string) error { return Write(p, []byte("x"), false) }, 0o600},
		"shared":  {func(p string) error { return WritePerm(p, []byte("x"), 0o644, true) }, 0o644},
	} {
		p := filepath.Join(dir, name)
		if err := c.write(p); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != c.want {
			t.Errorf("%s: mode %v, %v; want %v", name, fi.Mode().Perm(), err, c.want)
		}
	}
}
