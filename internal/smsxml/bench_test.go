package smsxml

import (
	"bytes"
	"testing"
	"time"
)

// BenchmarkExport1000 exports 1,000 stored messages, each a SMIL, a
// 30 KB picture and a line of text: the time per export and the size of
// the file (file-bytes).
func BenchmarkExport1000(b *testing.B) {
	e := newEnv(b)
	msg := picture("benchmark")
	msg.Parts[1].Data = bytes.Repeat([]byte{0xff, 0xd8, 0x01, 0x7f}, 30<<10/4)
	for i := 0; i < 1000; i++ {
		e.put(b, msg, "+15550001111")
		e.clock.Add(time.Minute)
	}
	var n countWriter
	b.ResetTimer()
	for b.Loop() {
		n = 0
		res, err := Export(&n, e.st, Options{})
		if err != nil || res.Messages != 1000 {
			b.Fatalf("%d messages, %v", res.Messages, err)
		}
	}
	b.ReportMetric(float64(n), "file-bytes")
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }
