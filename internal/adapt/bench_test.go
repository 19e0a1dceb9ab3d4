package adapt

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"syscall"
	"testing"
	"time"
)

// BenchmarkFit adapts a message with one camera photo (JPEG quality 80,
// about 0.29 bytes per pixel like a phone's) of about 1, 3 and 8 MB to
// the default 600 KB limit, a new message id each time so the cache does
// not answer. Besides the time it reports the CPU time of the process per
// adaptation (cpu-ms) and the peak of the live heap above what was live
// before (peak-heap-MB), sampled every millisecond.
func BenchmarkFit(b *testing.B) {
	for _, c := range []struct {
		name string
		w, h int
	}{{"1MB", 2200, 1650}, {"3MB", 3840, 2880}, {"8MB", 6600, 4400}} {
		b.Run(c.name, func(b *testing.B) {
			in := conf(jpegOf(b, photo(c.w, c.h, 1), 80), "image/jpeg", "photo.jpg")
			a := newAdapter(b)
			n0 := size(b, in)
			runtime.GC()
			peak := sampleHeap()
			cpu0 := cpuTime()
			b.ResetTimer()
			n := 0
			for b.Loop() {
				n++
				out, err := a.Fit(fmt.Sprintf("20260314-120000-%06d", n), 600<<10, in, n0)
				if err != nil || size(b, out) > 600<<10 {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(len(in.Parts[1].Data))/(1<<20), "picture-MB")
			b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(n), "cpu-ms")
			b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MB")
		})
	}
}

// sampleHeap samples the live heap until the returned function is
// called, which returns the highest sample less the first.
func sampleHeap() func() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(s); return s[0].Value.Uint64() }
	base, hi := read(), uint64(0)
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				hi = max(hi, read())
			}
		}
	}()
	return func() uint64 {
		close(stop)
		<-done
		if hi < base {
			return 0
		}
		return hi - base
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
