package deliver

import (
	"crypto/rand"
	"testing"
)

// BenchmarkKeyLookup compares the index lookup of a right key, a wrong
// key sharing all but its last character with a right one, and an
// unrelated wrong key, among 10,000 keys: the time must not tell them
// apart (one HMAC, one map lookup of a digest each).
func BenchmarkKeyLookup(b *testing.B) {
	ix, err := newKeyIndex()
	if err != nil {
		b.Fatal(err)
	}
	var right string
	for i := range 10_000 {
		k, _ := newKey(rand.Reader)
		ix.add(k, slot{id: "m", rcp: i})
		right = k
	}
	near := right[:KeyLen-1] + string(right[KeyLen-1]^1)
	far, _ := newKey(rand.Reader)
	for _, c := range []struct{ name, key string }{{"right", right}, {"near", near}, {"far", far}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				ix.lookup(c.key)
			}
		})
	}
}
