package main

import (
	"bytes"
	"crypto/sha256"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/homemmsc/homemmsc/internal/floor"
	"github.com/homemmsc/homemmsc/internal/store"
)

// storeCheck is what was found on disk for the messages answered OK.
type storeCheck struct {
	Intact  int // OK messages found byte for byte (sha256) in the directory
	Lost    int // OK messages not found intact
	Corrupt int // files that start like one of our PDUs but are damaged
	Extra   int // intact copies of messages that were not answered OK
}

// verifyDir looks for the PDUs answered OK under dir: in the appliance's
// store (its log, read through internal/store once the server stopped)
// when dir holds one, and in any regular file that starts with a PDU of
// t, as the seed page stores the raw body. A PDU counts when its sha256
// equals that of the PDU with the Transaction-Id it carries.
func verifyDir(dir string, t *pduTemplate, okIDs []string) (storeCheck, error) {
	want := make(map[string]bool, len(okIDs))
	for _, id := range okIDs {
		want[id] = true
	}
	found := map[string]bool{}
	var c storeCheck
	count := func(r io.Reader) {
		tid, sum, ok := hashPDU(r, t)
		switch {
		case !ok:
		case sum != t.sum(tid):
			c.Corrupt++
		case want[tid]:
			found[tid] = true
		default:
			c.Extra++
		}
	}
	if err := eachStored(dir, count); err != nil {
		return c, err
	}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		if f, err := os.Open(path); err == nil {
			count(f)
			f.Close()
		}
		return nil
	})
	c.Intact = len(found)
	c.Lost = len(want) - len(found)
	return c, err
}

// eachStored calls fn with the PDU of every message of the appliance's
// store in dir, or of the floors' log, if there is one.
func eachStored(dir string, fn func(io.Reader)) error {
	if f, err := os.Open(filepath.Join(dir, floorLogName)); err == nil {
		defer f.Close()
		return floor.ReadLog(f, func(rec []byte) error { fn(bytes.NewReader(rec)); return nil })
	}
	if _, err := os.Stat(filepath.Join(dir, "messages.log")); err != nil {
		return nil
	}
	st, err := store.Open(store.Config{Dir: dir, MinFree: -1})
	if err != nil {
		return err
	}
	defer st.Close()
	for _, id := range st.IDs(store.Query{}) {
		if f, err := st.OpenPDU(id); err == nil {
			fn(f)
			f.Close()
		}
	}
	return nil
}

// hashPDU returns the Transaction-Id and sha256 of what r holds when it
// starts like a PDU of t, and false for anything else.
func hashPDU(f io.Reader, t *pduTemplate) (string, [sha256.Size]byte, bool) {
	var sum [sha256.Size]byte
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
