package main_test

// A stalled log sink (issue 15): journald stalls, stderr's pipe fills,
// and the binary must go on answering phones. The test gives the binary
// a pipe for stderr that nobody reads, logs at debug level so that the
// pipe's 64 KiB fill within a few hundred posts, and posts more than
// that: each must be answered Ok, and /metrics counts the dropped lines.
// (Before internal/logwriter, the posts stopped being answered once the
// pipe was full.)

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"testing"
	"time"
)

func TestLogSinkStalled(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped with -short")
	}
	bin := e2eBuild(t, t.TempDir(), "log-stall")
	pdu := e2eRead(t, e2eCorpus(t), "python-messaging__iPhone.mms")
	_, cwd, data := dirs(t)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close() // never read: the binary's stderr stays full
	addr, lan := freeAddr(t), freeAddr(t)
	cmd := exec.Command(bin, "-listen", addr, "-lan", lan, "-data", data, "-log-level", "debug", "-rate=0")
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = cwd, e2eEnv(), pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitAccepting(t, addr)
	hc := &http.Client{Timeout: 30 * time.Second}
	// Each post logs a line of about 300 bytes: the pipe's 64 KiB and
	// the writer's 256 KiB queue fill within about 1,100 posts. Post
	// until lines are dropped, then some more.
	dropped, after := 0.0, 0
	for i := 0; after < 100; i++ {
		if i == 5000 {
			t.Fatalf("%d posts into a stalled stderr and no log line dropped", i)
		}
		if _, ok := ack(hc, addr, withTID(pdu, fmt.Sprintf("stall-%d", i))); !ok {
			t.Fatalf("post %d with stderr stalled (%v lines dropped): not answered Ok", i+1, dropped)
		}
		if dropped > 0 {
			after++
		} else if i%100 == 99 {
			dropped = value(t, scrape(t, lan), "homemmsc_log_dropped_lines_total")
		}
	}
	t.Logf("posts answered Ok with stderr stalled, 100 of them after %v log lines were dropped", dropped)
}

// waitAccepting waits until something accepts connections on addr.
func waitAccepting(t *testing.T, addr string) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
	}
	t.Fatalf("nothing listens on %s", addr)
}
