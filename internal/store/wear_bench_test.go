package store

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/homemmsc/homemmsc/internal/floor"
	"github.com/homemmsc/homemmsc/internal/wear"
)

var wearFlag = flag.Bool("wear", false, "run BenchmarkWear (a loop device, as root)")

// BenchmarkWear measures what storing a message costs the SD card: the
// bytes the block device under an ext4 file system with its journal
// (noatime, as Raspberry Pi OS mounts its root) is asked to write per
// message, for the store and for the two floor designs, in the same
// image in the same run:
//
//   - log: one append-only file; write the PDU, one fdatasync per
//     message, concurrent writers share one fdatasync. The cheapest
//     correct way to make a message durable on one file system
//     (floor.Log, which cmd/mmsload -compare also runs under HTTP).
//   - file: one new file per message; write, fdatasync, fsync of the
//     directory (shared by concurrent writers; floor.Files).
//
// Rows: 30 KB from one writer, 30 KB from 8 at once, 300 KB from one.
// Metrics: dev-B/msg (device bytes), x-posted (device bytes over PDU
// bytes), x-log (over the log design's, same row), cpu-µs/msg
// (getrusage of the process, user+sys), msg/s (wall time: noise on a
// shared machine; the bytes and CPU are not). Needs root and loop
// devices (make bench runs it; otherwise it skips with one line).
//
//	go test -run '^$' -bench '^BenchmarkWear$' -benchtime 1x ./internal/store -wear
func BenchmarkWear(b *testing.B) {
	if !*wearFlag {
		b.Skip("SD wear per message: run with -wear -benchtime 1x (make bench does)")
	}
	dev := wear.ForTest(b, 1<<30)
	rows := []struct {
		name          string
		size, writers int
		msgsPerWriter int
	}{
		{"30KBx1", 30_000, 1, 300},
		{"30KBx8", 30_000, 8, 60},
		{"300KBx1", 300_000, 1, 60},
	}
	for _, row := range rows {
		logBytes := 0.0
		for _, d := range wearDesigns {
			b.Run(row.name+"/"+d.name, func(b *testing.B) {
				dir := filepath.Join(dev.Dir, fmt.Sprintf("%s-%s-%d", row.name, d.name, b.N))
				put, closeFn, err := d.open(dir)
				if err != nil {
					b.Fatal(err)
				}
				r := measureWear(b, dev, put, row.size, row.writers, row.msgsPerWriter*b.N)
				if err := closeFn(); err != nil {
					b.Fatal(err)
				}
				if d.name == "log" {
					logBytes = r.devPerMsg
				}
				r.report(b, logBytes)
			})
		}
	}
}

// wearDesigns are the designs BenchmarkWear compares; the log design
// comes first, since the others are measured against it.
var wearDesigns = []struct {
	name string
	open func(dir string) (put func(in Incoming) error, close func() error, err error)
}{
	{"log", openLogDesign},
	{"file", openFileDesign},
	{"store", openStoreDesign},
}

// openLogDesign and openFileDesign are internal/floor's designs, the
// same code cmd/mmsload -compare measures over HTTP.
func openLogDesign(dir string) (func(Incoming) error, func() error, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, nil, err
	}
	l, err := floor.OpenLog(filepath.Join(dir, "log"))
	if err != nil {
		return nil, nil, err
	}
	put := func(in Incoming) error { _, err := l.Append(in.PDU); return err }
	return put, l.Close, nil
}

func openFileDesign(dir string) (func(Incoming) error, func() error, error) {
	d, err := floor.OpenFiles(dir)
	if err != nil {
		return nil, nil, err
	}
	put := func(in Incoming) error { return d.Put(in.PDU) }
	return put, func() error { return nil }, nil
}

func openStoreDesign(dir string) (func(Incoming) error, func() error, error) {
	s, err := Open(Config{Dir: dir, MinFree: -1})
	if err != nil {
		return nil, nil, err
	}
	put := func(in Incoming) error { _, err := s.Put(in); return err }
	return put, s.Close, nil
}

type wearResult struct {
	devPerMsg, posted, cpuPerMsg, perSec float64
}

// measureWear stores msgs messages of about size bytes from writers
// goroutines through put, and measures the device bytes, the CPU and
// the wall time it took. The messages are built before the clock starts.
func measureWear(b *testing.B, dev *wear.Device, put func(Incoming) error, size, writers, msgs int) wearResult {
	ins := make([]Incoming, msgs)
	posted := 0
	for i := range ins {
		ins[i] = encoded(b, fmt.Sprintf("w%d", i), size)
		posted += len(ins[i].PDU)
	}
	before, err := dev.Written()
	if err != nil {
		b.Fatal(err)
	}
	var ru0, ru1 unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &ru0)
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := w; i < msgs; i += writers {
				if err := put(ins[i]); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	unix.Getrusage(unix.RUSAGE_SELF, &ru1)
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	after, err := dev.Written()
	if err != nil {
		b.Fatal(err)
	}
	cpu := ru1.Utime.Nano() - ru0.Utime.Nano() + ru1.Stime.Nano() - ru0.Stime.Nano()
	n := float64(msgs)
	return wearResult{
		devPerMsg: float64(after-before) / n,
		posted:    float64(posted) / n,
		cpuPerMsg: float64(cpu) / n / 1e3,
		perSec:    n / elapsed.Seconds(),
	}
}

func (r wearResult) report(b *testing.B, logBytes float64) {
	b.ReportMetric(r.devPerMsg, "dev-B/msg")
	b.ReportMetric(r.devPerMsg/r.posted, "x-posted")
	if logBytes > 0 {
		b.ReportMetric(r.devPerMsg/logBytes, "x-log")
	}
	b.ReportMetric(r.cpuPerMsg, "cpu-µs/msg")
	b.ReportMetric(r.perSec, "msg/s")
}
