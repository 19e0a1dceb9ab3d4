package store

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/homemmsc/homemmsc/internal/mms"
)

// cpuMeter reports the process CPU time (user+sys) per operation and the
// bytes the process caused to be written to storage (/proc/self/io
// write_bytes; not counting the filesystem journal, which the kernel's
// jbd2 thread writes).
type cpuMeter struct {
	ru    unix.Rusage
	wrote int64
}

func startMeter(b *testing.B) *cpuMeter {
	m := &cpuMeter{}
	unix.Getrusage(unix.RUSAGE_SELF, &m.ru)
	m.wrote = writeBytes()
	b.ResetTimer()
	return m
}

func (m *cpuMeter) report(b *testing.B, payload int64) {
	b.StopTimer()
	var ru unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &ru)
	sys := ru.Stime.Nano() - m.ru.Stime.Nano()
	cpu := ru.Utime.Nano() - m.ru.Utime.Nano() + sys
	b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(sys)/float64(b.N), "sys-ns/op")
	b.ReportMetric(float64(payload)/float64(b.N), "payload-B/op")
	if w := writeBytes(); w >= 0 && m.wrote >= 0 {
		b.ReportMetric(float64(w-m.wrote)/float64(b.N), "disk-B/op")
	}
}

func writeBytes() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return -1
	}
	var v int64 = -1
	for _, line := range splitLines(string(b)) {
		if _, err := fmt.Sscanf(line, "write_bytes: %d", &v); err == nil {
			return v
		}
	}
	return -1
}

func splitLines(s string) []string {
	var out []string
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] != '\n' {
			i++
		}
		out = append(out, s[:i])
		if i < len(s) {
			i++
		}
		s = s[i:]
	}
	return out
}

func benchStore(b *testing.B) *Store {
	b.Helper()
	s, err := Open(Config{Dir: b.TempDir(), MinFree: -1})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkPut measures a durable Put of a real M-Send.req (its line and
// PDU appended to the log and fdatasynced).
//
//	go test -run '^$' -bench 'Put|Extract' -benchtime 200x ./internal/store/
func BenchmarkPut(b *testing.B) {
	for _, size := range []int{30 << 10, 300 << 10} {
		b.Run(fmt.Sprintf("%dKB", size>>10), func(b *testing.B) {
			in := encoded(b, "bench", size)
			b.SetBytes(int64(len(in.PDU)))
			benchPuts(b, in, false)
		})
	}
}

// benchPuts stores in b.N times into a fresh store, extracting the parts
// as files after each Put when extract is set, and reports CPU and bytes
// written per message.
func benchPuts(b *testing.B, in Incoming, extract bool) {
	s := benchStore(b)
	m := startMeter(b)
	var payload int64
	for range b.N {
		meta, err := s.Put(in)
		if err != nil {
			b.Fatal(err)
		}
		e, _ := s.lookup(meta.ID)
		payload += e.diskBytes()
		if extract {
			n, err := extractParts(s, meta, in.Msg)
			if err != nil {
				b.Fatal(err)
			}
			payload += n
		}
	}
	m.report(b, payload)
}

// extractParts is the alternative the store does not take: writing every
// part as its own file at Put, each atomically and durably, like the PDU.
func extractParts(s *Store, meta Meta, msg *mms.Message) (int64, error) {
	dir := filepath.Join(s.dir, "parts", meta.ID)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return 0, err
	}
	var n int64
	for i, p := range msg.Parts {
		if err := writeFile(s.fs, dir, meta.Parts[i].File, p.Data); err != nil {
			return n, err
		}
		n += int64(len(p.Data))
	}
	if err := s.fs.SyncDir(dir); err != nil {
		return n, err
	}
	return n, s.fs.SyncDir(filepath.Dir(dir))
}

// BenchmarkExtract compares the two ways to offer parts as files:
// extracting them at Put (AtPut: Put plus one fsynced file per part) and
// decoding them from the PDU when asked (OnDemand: Put alone). The View
// benchmarks are the cost of reading every part of a message once.
func BenchmarkExtract(b *testing.B) {
	for _, size := range []int{30 << 10, 300 << 10} {
		in := encoded(b, "x", size)
		name := fmt.Sprintf("%dKB", size>>10)
		b.Run("AtPut/"+name, func(b *testing.B) { benchPuts(b, in, true) })
		b.Run("OnDemandPut/"+name, func(b *testing.B) { benchPuts(b, in, false) })
		b.Run("AtPutView/"+name, func(b *testing.B) {
			s := benchStore(b)
			meta, _ := s.Put(in)
			if _, err := extractParts(s, meta, in.Msg); err != nil {
				b.Fatal(err)
			}
			m := startMeter(b)
			for range b.N {
				for _, p := range meta.Parts {
					if _, err := os.ReadFile(filepath.Join(s.dir, "parts", meta.ID, p.File)); err != nil {
						b.Fatal(err)
					}
				}
			}
			m.report(b, 0)
		})
		b.Run("OnDemandView/"+name, func(b *testing.B) {
			s := benchStore(b)
			meta, _ := s.Put(in)
			m := startMeter(b)
			for range b.N {
				for i := range meta.Parts {
					if _, _, err := s.Part(meta.ID, i); err != nil {
						b.Fatal(err)
					}
				}
			}
			m.report(b, 0)
		})
	}
}

// BenchmarkOpen measures rebuilding the index of 20,000 stored messages
// of 30 KB, a third of them seen (a line each besides the message's
// record): Open reads each record's line and skips its PDU. It reports
// the live heap after Open. (Filled without syncs; the page cache is
// warm, which on a Pi's SD card it would not be.)
func BenchmarkOpen(b *testing.B) {
	const n = 20_000
	dir := b.TempDir()
	s, err := Open(Config{Dir: dir, MinFree: -1, fs: noSyncFS{}})
	if err != nil {
		b.Fatal(err)
	}
	in := encoded(b, "open", 30<<10)
	for i := range n {
		m, err := s.Put(in)
		if err != nil {
			b.Fatal(err)
		}
		if i%3 == 0 {
			must(b, s.SetSeen(m.ID, true))
		}
	}
	s.Close()
	// "checkpoint": the index checkpoint of that Close; "log": without
	// it, every record's line read (as after a power cut).
	b.Run("checkpoint", func(b *testing.B) { benchOpen(b, dir, n, false) })
	b.Run("log", func(b *testing.B) { benchOpen(b, dir, n, true) })
}

func benchOpen(b *testing.B, dir string, n int, noCkpt bool) {
	var heap uint64
	for range b.N {
		if noCkpt {
			b.StopTimer()
			if err := os.Remove(filepath.Join(dir, ckptName)); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		s, err := Open(Config{Dir: dir, MinFree: -1})
		if err != nil || s.Stats().Messages != n {
			b.Fatalf("Open: %v, %d messages", err, s.Stats().Messages)
		}
		b.StopTimer()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap = ms.HeapAlloc
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(heap)/1e6, "heap-MB")
}

// noSyncFS is the real filesystem without its syncs, for benchmarks that
// measure memory, not durability.
type noSyncFS struct{ osFS }

func (noSyncFS) SyncDir(string) error { return nil }

func (f noSyncFS) OpenAppend(name string) (file, error) { return noSync(f.osFS.OpenAppend(name)) }

type noSyncFile struct{ file }

func (noSyncFile) Sync() error { return nil }

func noSync(f file, err error) (file, error) {
	if err != nil {
		return nil, err
	}
	return noSyncFile{f}, nil
}

// BenchmarkIndexMemory measures what the store keeps in memory per
// message: the live heap after 10,000 Puts of one phone's small messages
// (each with its own subject), less the heap of the empty store. Syncs
// are off: they cost time, not memory.
//
//	go test -run '^$' -bench IndexMemory -benchtime 1x ./internal/store/
func BenchmarkIndexMemory(b *testing.B) {
	const n = 10000
	for range b.N {
		b.StopTimer()
		s, err := Open(Config{Dir: b.TempDir(), MinFree: -1, fs: noSyncFS{}})
		if err != nil {
			b.Fatal(err)
		}
		before := liveHeap()
		b.StartTimer()
		for i := range n {
			if _, err := s.Put(message(fmt.Sprint("subject ", i), 100)); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(liveHeap()-before)/n, "heap-B/msg")
		s.Close()
	}
}

// liveHeap is the bytes of live heap objects after a full collection.
func liveHeap() int64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// BenchmarkGet measures Get of a message's whole metadata, in a store of
// 1000 messages.
//
//	go test -run '^$' -bench 'Get$' ./internal/store/
func BenchmarkGet(b *testing.B) {
	s, err := Open(Config{Dir: b.TempDir(), MinFree: -1, fs: noSyncFS{}})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var ids []string
	for i := range 1000 {
		m, err := s.Put(message(fmt.Sprint("get ", i), 100))
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, ok := s.Get(ids[i%len(ids)]); !ok {
			b.Fatal("not found")
		}
	}
}
