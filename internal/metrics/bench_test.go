package metrics

import (
	"io"
	"testing"
)

// BenchmarkCounterInc is what counting costs the MMSC's request path.
func BenchmarkCounterInc(b *testing.B) {
	c := NewRegistry().CounterVec("c_total", "x", "reason").With("corrupt")
	for b.Loop() {
		c.Inc()
	}
}

// BenchmarkWriteText is one scrape of the sample registry.
func BenchmarkWriteText(b *testing.B) {
	r := sampleRegistry()
	for b.Loop() {
		r.WriteText(io.Discard)
	}
}
