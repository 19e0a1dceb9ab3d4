package watchdog

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/mmsc"
	"github.com/homemmsc/homemmsc/internal/store"
)

// fakeSystemd is the notify socket of a Type=notify unit.
type fakeSystemd struct {
	t    *testing.T
	conn *net.UnixConn
	env  map[string]string
}

// newFakeSystemd listens on an abstract socket and sets the environment
// systemd gives a unit with WatchdogSec=watchdog (0: none).
func newFakeSystemd(t *testing.T, watchdog time.Duration) *fakeSystemd {
	t.Helper()
	name := fmt.Sprintf("@homemmsc-test/%d/%d", os.Getpid(), time.Now().UnixNano())
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	env := map[string]string{"NOTIFY_SOCKET": name}
	if watchdog > 0 {
		env["WATCHDOG_USEC"] = fmt.Sprint(watchdog.Microseconds())
		env["WATCHDOG_PID"] = fmt.Sprint(os.Getpid())
	}
	return &fakeSystemd{t: t, conn: c, env: env}
}

func (f *fakeSystemd) getenv(k string) string { return f.env[k] }

// next returns the next datagram's assignments.
func (f *fakeSystemd) next() map[string]string {
	f.t.Helper()
	f.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 4096)
	n, err := f.conn.Read(buf)
	if err != nil {
		f.t.Fatalf("no notification: %v", err)
	}
	m := map[string]string{}
	for _, line := range strings.Split(string(buf[:n]), "\n") {
		k, v, _ := strings.Cut(line, "=")
		m[k] = v
	}
	return m
}

// until skips datagrams until one has key, and returns it.
func (f *fakeSystemd) until(key string) map[string]string {
	f.t.Helper()
	for {
		if m := f.next(); m[key] != "" {
			return m
		}
	}
}

// serviceFixture is an open store and an MMSC listener serving h.
func serviceFixture(t *testing.T, h http.Handler) Config {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(store.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if h == nil {
		h = mmsc.NewHandler(mmsc.Config{Store: st, Open: true})
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return Config{Stats: st.Stats, Dir: dir, Listen: ln.Addr().String(), Probe: ln.Addr().String(), Logger: slog.New(slog.DiscardHandler)}
}

// firstPingStatus runs the service and returns the STATUS sent with its
// first probe's ping (not READY's).
func firstPingStatus(t *testing.T, sd *fakeSystemd, cfg Config) string {
	t.Helper()
	runService(t, sd, cfg)
	sd.next() // READY=1
	return sd.until("WATCHDOG")["STATUS"]
}

func runService(t *testing.T, sd *fakeSystemd, cfg Config) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cfg.Getenv = sd.getenv
	stopService := Start(ctx, cfg)
	stop = func() { cancel(); stopService() }
	t.Cleanup(stop)
	return stop
}

func TestServiceReadyWatchdogStopping(t *testing.T) {
	sd := newFakeSystemd(t, 400*time.Millisecond)
	cfg := serviceFixture(t, nil)
	before, _ := os.ReadDir(cfg.Dir)
	stop := runService(t, sd, cfg)
	ready := sd.next()
	if ready["READY"] != "1" || ready["WATCHDOG"] != "1" || !strings.Contains(ready["STATUS"], "0 messages") {
		t.Fatalf("first notification %q, want READY=1, WATCHDOG=1 and a STATUS with the store", ready)
	}
	ping := sd.until("WATCHDOG")
	if !strings.HasPrefix(ping["STATUS"], "serving "+cfg.Listen) || strings.Contains(ping["STATUS"], "not writable") {
		t.Errorf("STATUS with a ping: %q", ping["STATUS"])
	}
	if ents, err := os.ReadDir(cfg.Dir); err != nil || len(ents) != len(before) {
		t.Errorf("the disk probe changed the data directory: %v, %v before", ents, before)
	}
	stop()
	if m := sd.until("STOPPING"); m["STOPPING"] != "1" {
		t.Errorf("last notification %q", m)
	}
}

// A handler that never answers is what a wedged appliance looks like
// from a phone: the pings must stop, and come back once it answers.
func TestServiceStuckListenerStopsPings(t *testing.T) {
	sd := newFakeSystemd(t, 400*time.Millisecond)
	release := make(chan struct{})
	stuck := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		io.WriteString(w, "late")
	})
	cfg := serviceFixture(t, stuck)
	runService(t, sd, cfg)
	sd.next() // READY=1
	m := sd.next()
	if m["WATCHDOG"] != "" || !strings.HasPrefix(m["STATUS"], "not answering: MMSC listener") {
		t.Fatalf("notification while the handler hangs: %q, want no WATCHDOG and a not-answering STATUS", m)
	}
	close(release)
	sd.until("WATCHDOG")
}

// A disk that refuses writes answers at once: not a hang, so the pings
// go on, and STATUS says what is wrong.
func TestServiceDiskErrorIsNotAHang(t *testing.T) {
	sd := newFakeSystemd(t, 400*time.Millisecond)
	cfg := serviceFixture(t, nil)
	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.Dir = notADir // the probe's fsync of a directory fails: ENOTDIR
	if status := firstPingStatus(t, sd, cfg); !strings.Contains(status, "store not writable") {
		t.Errorf("STATUS %q does not report the disk error", status)
	}
}

func TestServiceWithoutWatchdog(t *testing.T) {
	sd := newFakeSystemd(t, 0)
	sd.env["WATCHDOG_USEC"], sd.env["WATCHDOG_PID"] = "400000", "1" // another process's
	stop := runService(t, sd, serviceFixture(t, nil))
	if m := sd.next(); m["READY"] != "1" || m["WATCHDOG"] != "" {
		t.Fatalf("first notification %q, want READY=1 without WATCHDOG", m)
	}
	stop()
	if m := sd.next(); m["STOPPING"] != "1" || m["WATCHDOG"] != "" {
		t.Errorf("notification %q, want STOPPING=1 (status every %v, no pings)", m, statusPeriod)
	}
}

// A listener at its connection cap accepts and closes at once: busy, not
// stuck, so the pings go on and STATUS says so.
func TestServiceConnectionCapIsNotAHang(t *testing.T) {
	sd := newFakeSystemd(t, 400*time.Millisecond)
	cfg := serviceFixture(t, nil)
	full, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { full.Close() })
	go func() {
		for {
			c, err := full.Accept()
			if err != nil {
				return
			}
			c.Close() // as internal/guard does over its caps
		}
	}()
	cfg.Listen = full.Addr().String()
	cfg.Probe = cfg.Listen
	if status := firstPingStatus(t, sd, cfg); !strings.Contains(status, "probe connection closed") {
		t.Errorf("STATUS %q does not say the probe was turned away", status)
	}
}

// Nothing listening any more is stuck: the port refuses.
func TestServiceRefusedIsAHang(t *testing.T) {
	sd := newFakeSystemd(t, 400*time.Millisecond)
	cfg := serviceFixture(t, nil)
	gone, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Listen = gone.Addr().String()
	cfg.Probe = cfg.Listen
	gone.Close()
	runService(t, sd, cfg)
	sd.next() // READY=1
	if m := sd.next(); m["WATCHDOG"] != "" || !strings.HasPrefix(m["STATUS"], "not answering") {
		t.Errorf("notification with the port closed: %q, want no WATCHDOG", m)
	}
}
