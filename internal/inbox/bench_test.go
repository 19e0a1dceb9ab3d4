package inbox

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/store"
)

// BenchmarkList renders the list of a store holding 5,000 messages
// (a text and two photos each, the newest first, from 40 senders): the
// default page of 50, all 5,000 rows on one page (?n=5000), a search by
// subject that has to look at every message, the conversations page (40
// rows from one pass over all 5,000) and a page of one thread (30
// bubbles: 30 PDUs read and decoded).
//
//	go test -run '^$' -bench List -benchtime 20x ./internal/inbox/
func BenchmarkList(b *testing.B) {
	e := newBenchEnv(b, 5000)
	for _, c := range []struct{ name, path string }{
		{"page50", "/messages"},
		{"all5000", "/messages?n=5000"},
		{"search", "/messages?subject=" + "message+4321"},
		{"conversations", "/"},
		{"thread30", threadURL("+15550000007", 1)},
	} {
		b.Run(c.name, func(b *testing.B) {
			var size int
			cpu0 := cpuTime()
			for b.Loop() {
				w := &discard{header: http.Header{}}
				r := httptest.NewRequest("GET", c.path, nil)
				r.AddCookie(e.cookie)
				e.h.ServeHTTP(w, r)
				if w.code != http.StatusOK {
					b.Fatalf("%s: %d", c.path, w.code)
				}
				size = w.n
			}
			b.ReportMetric(float64(size), "B/page")
			// CPU time of the process (GC included) per page: on a shared
			// machine ns/op also counts the time other processes held the CPU.
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
		})
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// discard is a ResponseWriter that counts the bytes: a real server
// streams the page to the socket, where a ResponseRecorder would grow a
// buffer of several megabytes and time that too.
type discard struct {
	header http.Header
	code   int
	n      int
}

func (d *discard) Header() http.Header  { return d.header }
func (d *discard) WriteHeader(code int) { d.code = code }
func (d *discard) Write(b []byte) (int, error) {
	if d.code == 0 {
		d.code = http.StatusOK
	}
	d.n += len(b)
	return len(b), nil
}

// newBenchEnv stores n messages. The store goes to /dev/shm when there
// is one: the benchmark is about rendering, and n fsynced Puts on a disk
// would take minutes to set up.
func newBenchEnv(b *testing.B, n int) *env {
	b.Helper()
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		dir, err := os.MkdirTemp("/dev/shm", "inbox-bench-")
		if err == nil {
			b.Setenv("TMPDIR", dir)
			b.Cleanup(func() { os.RemoveAll(dir) })
		}
	}
	e := newEnv(b, false)
	e.login()
	photo := pngPart("photo.png")
	for i := range n {
		e.stored.Add(time.Minute)
		e.synced = i%10 != 0
		e.put(fmt.Sprintf("message %d", i), store.Sender{Number: fmt.Sprintf("+1555%07d", i%40), Source: "from"},
			textPart("hello"), photo, withName(photo, "second.png"))
	}
	return e
}

func withName(p mms.Part, name string) mms.Part {
	p.ContentType.Params = []mms.Param{{Name: "name", Value: name}}
	p.ContentLocation = name
	return p
}

// BenchmarkThumbnail makes one thumbnail of a 320x200 PNG from scratch
// (cache removed each time): the CPU one costs on the LAN side, never on
// the receive path.
func BenchmarkThumbnail(b *testing.B) {
	e := newEnv(b, false)
	e.login()
	m := e.put("pic", anna, pngPart("p.png"))
	jpg, _ := e.h.thumbs.paths(m.ID, 0)
	for b.Loop() {
		os.Remove(jpg)
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/m/"+m.ID+"/thumb/0", nil)
		r.AddCookie(e.cookie)
		e.h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}

// BenchmarkCheckPassword is one login's hashing at DefaultIterations.
func BenchmarkCheckPassword(b *testing.B) {
	h, err := HashPassword("correct horse battery", DefaultIterations)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if !checkPassword(h, "correct horse battery") {
			b.Fatal("no match")
		}
	}
}
