package guard

import (
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkAllowSameClient is the cost of the limiter on every request of
// a phone that is already in the table.
func BenchmarkAllowSameClient(b *testing.B) {
	l := NewRateLimiter(RateConfig{Rate: 1e9, Burst: 1e9})
	for b.Loop() {
		l.Allow("192.0.2.1")
	}
}

// BenchmarkAllowNewClients is a flood from ever new addresses: each call
// evicts the least recent client of a full table.
func BenchmarkAllowNewClients(b *testing.B) {
	l := NewRateLimiter(RateConfig{Rate: 1, Burst: 1})
	keys := make([]string, 1<<16)
	for i := range keys {
		keys[i] = ClientKey("10." + strconv.Itoa(i>>8) + "." + strconv.Itoa(i&255) + ".1")
	}
	i := 0
	for b.Loop() {
		l.Allow(keys[i&(len(keys)-1)])
		i++
	}
}

// BenchmarkTableMemory reports the heap a full table of DefaultMaxClients
// IPv6 clients (the longest keys) holds, keys included.
func BenchmarkTableMemory(b *testing.B) {
	keys := make([]string, DefaultMaxClients)
	for i := range keys {
		keys[i] = ClientKey("[2001:db8:" + strconv.FormatInt(int64(i), 16) + ":ffff::1]:1")
	}
	var before, after runtime.MemStats
	for b.Loop() {
		runtime.GC()
		runtime.ReadMemStats(&before)
		l := NewRateLimiter(RateConfig{Rate: 1, Burst: 1})
		for _, k := range keys {
			l.Allow(strings.Clone(k)) // as each request's ClientKey is a new string
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(l)
	}
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/DefaultMaxClients, "heap-bytes/client")
}
