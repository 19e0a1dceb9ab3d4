package main

import (
	"crypto/sha256"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// storeCheck is what was found on disk for the messages answered OK.
type storeCheck struct {
	Intact  int // OK messages found byte for byte (sha256) in the directory
	Lost    int // OK messages not found intact
	Corrupt int // files that start like one of our PDUs but are damaged
	Extra   int // intact copies of messages that were not answered OK
}

// verifyDir looks for the PDUs answered OK under dir. It is agnostic of the
// store's layout: any regular file that starts with a PDU of t counts when
// its sha256 equals that of the PDU with the Transaction-Id it carries.
// The seed page stores the raw body the same way, so one check serves both.
func verifyDir(dir string, t *pduTemplate, okIDs []string) (storeCheck, error) {
	want := make(map[string]bool, len(okIDs))
	for _, id := range okIDs {
		want[id] = true
	}
	found := map[string]bool{}
	var c storeCheck
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		tid, sum, ok := hashPDUFile(path, t)
		if !ok {
			return nil
		}
		switch {
		case sum != t.sum(tid):
			c.Corrupt++
		case want[tid]:
			found[tid] = true
		default:
			c.Extra++
		}
		return nil
	})
	c.Intact = len(found)
	c.Lost = len(want) - len(found)
	return c, err
}

// hashPDUFile returns the Transaction-Id and sha256 of a file that starts
// like a PDU of t, and false for any other file.
func hashPDUFile(path string, t *pduTemplate) (string, [sha256.Size]byte, bool) {
	var sum [sha256.Size]byte
	f, err := os.Open(path)
	if err != nil {
		return "", sum, false
	}
	defer f.Close()
	head := make([]byte, 64)
	n, _ := io.ReadFull(f, head)
	tid, ok := t.tidOf(head[:n])
	if !ok {
		return "", sum, false
	}
	h := sha256.New()
	h.Write(head[:n])
	if _, err := io.Copy(h, f); err != nil {
		return "", sum, false
	}
	h.Sum(sum[:0])
	return tid, sum, true
}
