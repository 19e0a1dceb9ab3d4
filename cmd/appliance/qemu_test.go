package main_test

// The Raspberry Pi binaries of `make pi`, run under qemu-user: each one
// starts, tells systemd it is ready, feeds the watchdog, answers real
// M-Send.req PDUs with an Ok M-Send.conf, stores them byte for byte, and
// exits 0 on SIGTERM. .ci/run sets HOMEMMSC_QEMU_BINARIES=dist after
// `make pi`; without it the ARM part is skipped. The same notify checks
// run on the binary built for this machine in every `go test`.

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/mms"
)

// piBinaries are the files `make pi` writes, and the qemu-user that runs
// each: Debian's qemu-user-static names, then qemu-user's.
var piBinaries = []struct {
	name string
	qemu []string
}{
	{"homemmsc-linux-armv6", []string{"qemu-arm-static", "qemu-arm"}},
	{"homemmsc-linux-armv7", []string{"qemu-arm-static", "qemu-arm"}},
	{"homemmsc-linux-arm64", []string{"qemu-aarch64-static", "qemu-aarch64"}},
}

// The PDUs each ARM binary answers: an MMS 1.0 and a 1.2 request, and one
// with pictures.
var qemuPDUs = []string{
	"gammu__HelloWorld.mms",
	"mms-engine__test_mms_codec_data_m-send_1.req",
	"python-messaging__iPhone.mms",
}

func TestQEMUPiBinaries(t *testing.T) {
	dist := os.Getenv("HOMEMMSC_QEMU_BINARIES")
	if dist == "" {
		t.Skip("set HOMEMMSC_QEMU_BINARIES=dist after `make pi` to run the Pi binaries under qemu-user (.ci/run does)")
	}
	if !filepath.IsAbs(dist) {
		dist = filepath.Join("..", "..", dist) // from cmd/appliance to the repository
	}
	corpus := e2eCorpus(t)
	for _, b := range piBinaries {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			bin := filepath.Join(dist, b.name)
			if _, err := os.Stat(bin); err != nil {
				t.Fatalf("%v (run `make pi` first)", err)
			}
			qemu := lookQEMU(t, b.qemu)
			runNotified(t, []string{qemu, bin}, func(p *e2eProc) func(data string) {
				return postCorpus(t, p, corpus)
			})
		})
	}
}

// The binary built for this machine says READY=1, pings and STOPPING=1
// under a notify socket, like the ARM ones.
func TestE2ESystemdNotify(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped with -short")
	}
	bin := e2eBuild(t, t.TempDir(), "notify-e2e")
	runNotified(t, []string{bin}, func(*e2eProc) func(string) { return func(string) {} })
}

// lookQEMU finds the first of names on PATH, or fails: with
// HOMEMMSC_QEMU_BINARIES set, a missing qemu is an error, not a skip.
func lookQEMU(t *testing.T, names []string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	t.Fatalf("none of %v on PATH: apt-get install qemu-user-static", names)
	return ""
}

// notifiedCommand is a script that runs argv, then its own arguments,
// with the environment systemd gives the unit: NOTIFY_SOCKET and a 4 s
// WatchdogSec. exec keeps one process, so SIGTERM reaches the binary (or
// qemu, which passes it to the guest).
func notifiedCommand(t *testing.T, socket string, argv []string) string {
	t.Helper()
	var quoted []string
	for _, a := range argv {
		abs, err := filepath.Abs(a)
		if err != nil {
			t.Fatal(err)
		}
		quoted = append(quoted, fmt.Sprintf("%q", abs))
	}
	w := filepath.Join(t.TempDir(), "run")
	script := fmt.Sprintf("#!/bin/sh\nNOTIFY_SOCKET=%q WATCHDOG_USEC=4000000 exec %s \"$@\"\n", socket, strings.Join(quoted, " "))
	if err := os.WriteFile(w, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return w
}

// notifySocket is a fake systemd's notify socket, in the abstract
// namespace.
type notifySocket struct {
	t    *testing.T
	name string
	conn *net.UnixConn
}

func newNotifySocket(t *testing.T) *notifySocket {
	t.Helper()
	name := fmt.Sprintf("@homemmsc-e2e/%d/%d", os.Getpid(), time.Now().UnixNano())
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &notifySocket{t: t, name: name, conn: c}
}

// until returns the first datagram that holds line, failing after limit.
func (s *notifySocket) until(line string, limit time.Duration) string {
	s.t.Helper()
	s.conn.SetReadDeadline(time.Now().Add(limit))
	buf := make([]byte, 4096)
	for {
		n, err := s.conn.Read(buf)
		if err != nil {
			s.t.Fatalf("no %s within %v: %v", line, limit, err)
		}
		if msg := string(buf[:n]); strings.Contains("\n"+msg+"\n", "\n"+line+"\n") {
			return msg
		}
	}
}

// runNotified starts argv as systemd would start the unit, checks that
// READY=1 comes once the listener accepts, waits for a watchdog ping from
// a probe, runs work, stops the binary with SIGTERM, checks STOPPING=1
// and exit status 0, then runs the check work returned.
func runNotified(t *testing.T, argv []string, work func(p *e2eProc) (afterStop func(data string))) {
	t.Helper()
	sock := newNotifySocket(t)
	_, cwd, data := dirs(t)
	p := e2eTryStart(t, notifiedCommand(t, sock.name, argv), cwd, data, nil)
	t.Cleanup(p.kill)
	ready := sock.until("READY=1", 60*time.Second)
	if c, err := net.DialTimeout("tcp", p.addr, 5*time.Second); err != nil {
		t.Fatalf("READY=1 (%q) before the listener accepts: %v; log:\n%s", ready, err, p.log.String())
	} else {
		c.Close()
	}
	if !strings.Contains(ready, "STATUS=serving ") {
		t.Errorf("READY=1 without a STATUS: %q", ready)
	}
	sock.until("WATCHDOG=1", 30*time.Second) // a probe's: READY's was skipped
	afterStop := work(p)
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	sock.until("STOPPING=1", 30*time.Second)
	p.stop() // exit status 0, no panic
	afterStop(data)
}

// postCorpus posts the qemu PDUs, each under its own and another
// Transaction-Id, and checks each M-Send.conf; what it returns checks the
// store once the binary has stopped.
func postCorpus(t *testing.T, p *e2eProc, corpus string) func(data string) {
	t.Helper()
	var acked []stored
	for i, name := range qemuPDUs {
		for _, pdu := range [][]byte{e2eRead(t, corpus, name), withTID(e2eRead(t, corpus, name), fmt.Sprintf("qemu-%d", i))} {
			tid, ver := reqHead(pdu)
			r, err := p.post(openPath, pdu)
			if err != nil {
				t.Fatalf("%s: %v; log:\n%s", name, err, p.log.String())
			}
			if c := checkConf(t, name, r, tid, replyVersion(ver), mms.StatusOk); c != nil {
				acked = append(acked, stored{ID: c.MessageID, TID: tid, SHA256: sum(pdu)})
			}
		}
	}
	return func(data string) {
		if n := checkStore(t, data, acked); n != 2*len(qemuPDUs) {
			t.Errorf("%d messages stored, want %d", n, 2*len(qemuPDUs))
		}
	}
}
