package main_test

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/wear"
)

var idleFor = flag.Duration("idle-for", 2*time.Minute, "how long BenchmarkIdleWear leaves the appliance idle")

// BenchmarkIdleWear runs the binary idle with its data directory on an
// ext4 image with its journal on a loop device (noatime, as Raspberry Pi
// OS mounts its root) for -idle-for, as systemd runs it (NOTIFY_SOCKET,
// WatchdogSec=90s as in board/homemmsc.service), with the LAN listener
// asked for /healthz every 10 s as a monitor would, and the display
// drawing (to a PNG off the image), and reports the device bytes written
// per day at that rate. Needs root and loop devices.
//
//	go test -run '^$' -bench '^BenchmarkIdleWear$' -benchtime 1x ./cmd/appliance
func BenchmarkIdleWear(b *testing.B) {
	dev := wear.ForTest(b, 256<<20)
	bin := buildBinary(b)
	sock := dropNotify(b)
	lan := loopbackAddr(b)
	data := filepath.Join(dev.Dir, "data")
	cmd := exec.Command(bin, "-listen", loopbackAddr(b), "-data", data, "-lan", lan,
		"-display", "png:"+filepath.Join(b.TempDir(), "oled.png"))
	cmd.Env = append(e2eEnv(), "NOTIFY_SOCKET="+sock, "WATCHDOG_USEC=90000000")
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	waitHealthz(b, lan)
	time.Sleep(5 * time.Second) // start-up writes (the store's new files) are not idle
	before, err := dev.Written()
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	for time.Since(start) < *idleFor {
		time.Sleep(10 * time.Second)
		if resp, err := http.Get("http://" + lan + "/healthz"); err == nil {
			resp.Body.Close()
		}
	}
	after, err := dev.Written()
	if err != nil {
		b.Fatal(err)
	}
	perDay := float64(after-before) / time.Since(start).Seconds() * 86400
	b.ReportMetric(float64(after-before), "dev-B")
	b.ReportMetric(perDay/1e6, "MB/day")
	b.Logf("idle %v: %d device bytes, %.2f MB a day at that rate (target <= 1 MB)", time.Since(start).Round(time.Second), after-before, perDay/1e6)
}

func buildBinary(b *testing.B) string {
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = "/usr/local/go/bin/go"
	}
	bin := filepath.Join(b.TempDir(), "appliance")
	if out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// listenNotify is a notify socket that reads and drops what the binary
// sends (a fake systemd that does not check it: the tests do that).
func dropNotify(b *testing.B) string {
	name := fmt.Sprintf("@homemmsc-wear/%d/%d", os.Getpid(), time.Now().UnixNano())
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	go func() {
		buf := make([]byte, 4096)
		for {
			if _, err := c.Read(buf); err != nil {
				return
			}
		}
	}()
	return name
}

func loopbackAddr(b *testing.B) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitHealthz(b *testing.B, lan string) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + lan + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.Fatal("the appliance's /healthz did not answer 200 within 30 s")
}
