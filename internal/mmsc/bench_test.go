package mmsc

import (
	"strconv"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/store"
)

// BenchmarkPost measures the handler alone (read, decode, reply) on a
// 300 KB M-Send.req, with a store that keeps nothing.
func BenchmarkPost(b *testing.B) {
	benchmarkPost(b, &discardStore{})
}

// BenchmarkPostStore adds the real store (fsync on) in a temporary
// directory: what a phone waits for.
func BenchmarkPostStore(b *testing.B) {
	st := openStore(b, time.Now)
	benchmarkPost(b, st)
}

func benchmarkPost(b *testing.B, st Store) {
	h := NewHandler(Config{Store: st, Phones: testPhones})
	body := sendReq(b, mms.Version12, func(m *mms.Message) { m.Parts[0].Data = make([]byte, 300<<10) })
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		rec := post(h, "/mms/"+tokA, body)
		if rec.Code != 200 || rec.Body.Bytes()[len(rec.Body.Bytes())-1] != 0 {
			b.Fatalf("HTTP %d % x", rec.Code, rec.Body.Bytes())
		}
	}
}

// discardStore accepts everything and keeps nothing.
type discardStore struct{ n int }

func (d *discardStore) Put(store.Incoming) (store.Meta, error) {
	d.n++
	return store.Meta{ID: strconv.Itoa(d.n)}, nil
}
