package store

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
)

const crashDirEnv = "HOMEMMSC_STORE_CRASH_DIR"

// TestCrashChild is the victim of TestKill9KeepsAcknowledged: when run
// with crashDirEnv set it stores messages from 8 goroutines forever,
// printing "ok <id> <sha256>" after each Put returns, until killed.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("only runs as the child of TestKill9KeepsAcknowledged")
	}
	s, err := Open(Config{Dir: dir, MinFree: -1})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				in := message(fmt.Sprintf("%d-%d", g, i), 20_000+g*1000+i)
				m, err := s.Put(in)
				mu.Lock()
				if err != nil {
					fmt.Println("err", err)
				} else {
					fmt.Println("ok", m.ID, sha(in.PDU))
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

// TestKill9KeepsAcknowledged kills a process storing messages with
// SIGKILL, three times over the same directory, and checks after each
// restart that every message whose Put returned is listed and intact and
// that no temporary file or half entry remains.
func TestKill9KeepsAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	dir := t.TempDir()
	acked := map[string]string{}
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		must(t, err)
		must(t, cmd.Start())
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() }) // also when a check below fails
		r := bufio.NewScanner(out)
		n := 0
		for n < 40+round*7 && r.Scan() {
			f := strings.Fields(r.Text())
			if len(f) == 3 && f[0] == "ok" {
				acked[f[1]] = f[2]
				n++
			} else if len(f) > 0 && (f[0] == "err" || f[0] == "open:") {
				t.Fatalf("child: %s", r.Text())
			}
		}
		must(t, cmd.Process.Kill())
		// Lines already written before the kill are acknowledged too.
		rest, _ := io.ReadAll(out)
		for _, line := range strings.Split(string(rest), "\n") {
			if f := strings.Fields(line); len(f) == 3 && f[0] == "ok" {
				acked[f[1]] = f[2]
			}
		}
		cmd.Wait()
		if n == 0 {
			t.Fatal("child acknowledged nothing")
		}
		checkAfterCrash(t, dir, acked)
	}
}

func checkAfterCrash(t *testing.T, dir string, acked map[string]string) {
	t.Helper()
	s, err := Open(Config{Dir: dir, MinFree: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for id, sum := range acked {
		m, ok := s.Get(id)
		if !ok {
			t.Fatalf("acknowledged %s lost after kill -9", id)
		}
		f, err := s.OpenPDU(id)
		must(t, err)
		b, err := io.ReadAll(f)
		f.Close()
		must(t, err)
		if sha(b) != sum || int64(len(b)) != m.Size {
			t.Fatalf("%s: PDU sha256 %s, %d bytes (metadata %d), acknowledged %s", id, sha(b), len(b), m.Size, sum)
		}
	}
	if names := storeNames(t, dir); !slices.Equal(names, []string{"lock", logName}) {
		t.Fatalf("store dir after restart: %v (temporary files or damage left)", names)
	}
	t.Logf("%d acknowledged, %d stored after restart", len(acked), len(list(s)))
}
