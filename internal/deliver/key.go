package deliver

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"io"
)

// keyBytes is the entropy of a retrieve URL key: 128 bits, written as 26
// base32 characters.
const keyBytes = 16

// KeyLen is the length of a retrieve key in the URL.
const KeyLen = 26

// tidBytes is the entropy of a Transaction-Id: 80 bits, 16 characters.
// It is shorter than a key because it travels in the one-SMS
// notification, and it only correlates the phone's reports, which must
// also come from the recipient (see Deliverer.Report).
const tidBytes = 10

var keyEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newKey returns a fresh random retrieve key.
func newKey(r io.Reader) (string, error) { return randomText(r, keyBytes) }

// newTID returns a fresh random Transaction-Id.
func newTID(r io.Reader) (string, error) {
	s, err := randomText(r, tidBytes)
	return "h" + s, err
}

func randomText(r io.Reader, n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", err
	}
	return keyEncoding.EncodeToString(b), nil
}

// digest is the index form of a key: HMAC-SHA256 under a per-process
// secret. Every lookup, right key or wrong, hashes the presented text
// once and then looks the digest up in a map: the work does not depend
// on how much of a wrong key matches a right one, so no timing tells an
// attacker how close a guess came.
type digest [sha256.Size]byte

// keyIndex maps key digests to where the key belongs.
type keyIndex struct {
	secret [32]byte
	m      map[digest]slot
}

// slot is one recipient of one message.
type slot struct {
	id  string // message id; "" for a self-test
	rcp int    // index in Record.Recipients
}

func newKeyIndex() (*keyIndex, error) {
	ix := &keyIndex{m: map[digest]slot{}}
	if _, err := rand.Read(ix.secret[:]); err != nil {
		return nil, err
	}
	return ix, nil
}

func (ix *keyIndex) digest(key string) digest {
	h := hmac.New(sha256.New, ix.secret[:])
	if len(key) > 2*KeyLen {
		key = key[:2*KeyLen] // bound the work; no valid key is that long
	}
	h.Write([]byte(key))
	var d digest
	h.Sum(d[:0])
	return d
}

func (ix *keyIndex) add(key string, s slot) { ix.m[ix.digest(key)] = s }
func (ix *keyIndex) remove(key string)      { delete(ix.m, ix.digest(key)) }

func (ix *keyIndex) lookup(key string) (slot, bool) {
	s, ok := ix.m[ix.digest(key)]
	return s, ok
}
