package main

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	line := "1234 (apache2 (x) y) S 77 1234 1234 0 -1 4194624 100 0 0 0 250 31 9 4 20 0 1 0 5 1000 200 18446744073709551615\n"
	s, err := parseStat([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if want := (procStat{ppid: 77, utime: 250, stime: 31, cutime: 9, cstime: 4}); s != want {
		t.Errorf("parseStat = %+v, want %+v", s, want)
	}
	for _, bad := range []string{"", "1 (x S 1", "1 (x) S 1 2 3", "1 (x) S 1 1 1 0 -1 0 0 0 0 0 u 1 1 1"} {
		if _, err := parseStat([]byte(bad)); err == nil {
			t.Errorf("parseStat(%q) accepted", bad)
		}
	}
}

// TestProcSetOnSelf reads this process's own /proc entries.
func TestProcSetOnSelf(t *testing.T) {
	p := procSet{root: os.Getpid()}
	if kb, err := p.mem(); err != nil || kb <= 0 {
		t.Errorf("mem = %d, %v", kb, err)
	}
	if _, err := p.cpu(); err != nil {
		t.Errorf("cpu: %v", err)
	}
	m := sampleMem(p, 5e6)
	if peak := m.Stop(p); peak <= 0 {
		t.Errorf("peak = %d", peak)
	}
}

// TestProcSetTree: a child of this process is found and its Pss counted.
func TestProcSetTree(t *testing.T) {
	if _, err := os.Stat("/proc/self/smaps_rollup"); err != nil {
		t.Skip("no smaps_rollup:", err)
	}
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Skip("cannot start sleep:", err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	tree := procSet{root: os.Getpid(), tree: true}
	found := false
	for _, pid := range tree.pids() {
		found = found || pid == cmd.Process.Pid
	}
	if !found {
		t.Fatalf("child %d not among %v", cmd.Process.Pid, tree.pids())
	}
	alone, err := procSet{root: cmd.Process.Pid, tree: true}.mem()
	if err != nil || alone <= 0 {
		t.Fatalf("child pss = %d, %v", alone, err)
	}
	if sum, err := tree.mem(); err != nil || sum <= alone {
		t.Errorf("tree pss %d not above the child's %d (%v)", sum, alone, err)
	}
}

func TestParseHostBusy(t *testing.T) {
	b := []byte("cpu  100 5 50 9000 40 3 2 7 0 0\ncpu0 50 2 25 4500 20 1 1 3 0 0\n")
	got, err := parseHostBusy(b)
	if want := 160 * (time.Second / clockTicks); err != nil || got != want {
		t.Errorf("parseHostBusy = %v, %v; want %v (user+nice+system+irq+softirq)", got, err, want)
	}
	if _, err := parseHostBusy([]byte("intr 1 2 3\n")); err == nil {
		t.Error("parseHostBusy accepted a file without the cpu line")
	}
}
