package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat.
// It is 100 on every Linux architecture Go supports (the kernel's ABI).
const clockTicks = 100

// A procSet is the server process being measured: one process, or with
// tree an Apache-style master and its children.
type procSet struct {
	root int
	tree bool
}

// procStat holds the fields of /proc/PID/stat the load tool uses.
type procStat struct {
	ppid                         int
	utime, stime, cutime, cstime int64 // clock ticks
}

// readStat parses /proc/PID/stat. The command name sits in parentheses and
// may hold spaces, so the fields are counted from the last ')'.
func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	return parseStat(b)
}

func parseStat(b []byte) (procStat, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("stat: no command name")
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); ppid is field 4, utime 14 … cstime 17.
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("stat: %d fields", len(f)+2)
	}
	var s procStat
	var err error
	nums := []*int64{&s.utime, &s.stime, &s.cutime, &s.cstime}
	for k, p := range nums {
		if *p, err = strconv.ParseInt(f[11+k], 10, 64); err != nil {
			return procStat{}, fmt.Errorf("stat: field %d: %w", 14+k, err)
		}
	}
	ppid, err := strconv.Atoi(f[1])
	if err != nil {
		return procStat{}, fmt.Errorf("stat: ppid: %w", err)
	}
	s.ppid = ppid
	return s, nil
}

// pids returns the root and, for a tree, its direct children (Apache's
// prefork children are direct children of the master).
func (p procSet) pids() []int {
	out := []int{p.root}
	if !p.tree {
		return out
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return out
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == p.root {
			continue
		}
		if s, err := readStat(pid); err == nil && s.ppid == p.root {
			out = append(out, pid)
		}
	}
	return out
}

// cpuTime is CPU time split into user and system (kernel) time.
type cpuTime struct{ User, Sys time.Duration }

// Total is user plus system time.
func (c cpuTime) Total() time.Duration { return c.User + c.Sys }

func (c cpuTime) sub(d cpuTime) cpuTime { return cpuTime{c.User - d.User, c.Sys - d.Sys} }

// cpu returns the CPU time used so far by the set: utime and stime of
// every process, plus, for a tree, what the root's reaped children used.
func (p procSet) cpu() (cpuTime, error) {
	var user, sys int64
	for _, pid := range p.pids() {
		s, err := readStat(pid)
		if err != nil {
			if pid == p.root {
				return cpuTime{}, err
			}
			continue // a child that just exited: counted in cutime below
		}
		user, sys = user+s.utime, sys+s.stime
		if p.tree && pid == p.root {
			user, sys = user+s.cutime, sys+s.cstime
		}
	}
	tick := time.Second / clockTicks
	return cpuTime{time.Duration(user) * tick, time.Duration(sys) * tick}, nil
}

// statusKB returns a "Name:   123 kB" field of /proc/PID/status.
func statusKB(pid int, name string) (int64, error) {
	return fieldKB(fmt.Sprintf("/proc/%d/status", pid), name)
}

func fieldKB(path, name string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k != name {
			continue
		}
		v = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB"))
		return strconv.ParseInt(v, 10, 64)
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("%s: no %s", path, name)
}

// mem returns the set's resident memory in KiB: for one process its
// VmRSS; for a tree the sum of Pss over all processes (shared pages split
// between the processes that map them, the real footprint of the tree).
func (p procSet) mem() (int64, error) {
	if !p.tree {
		return statusKB(p.root, "VmRSS")
	}
	var sum int64
	for _, pid := range p.pids() {
		kb, err := fieldKB(filepath.Join("/proc", strconv.Itoa(pid), "smaps_rollup"), "Pss")
		if err != nil {
			if pid == p.root {
				return 0, err
			}
			continue
		}
		sum += kb
	}
	return sum, nil
}

// A memSampler records the highest value of procSet.mem while it runs.
type memSampler struct {
	stop chan struct{}
	done sync.WaitGroup
	mu   sync.Mutex
	peak int64
}

// sampleMem samples p.mem every interval until Stop.
func sampleMem(p procSet, interval time.Duration) *memSampler {
	m := &memSampler{stop: make(chan struct{})}
	m.done.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			m.record(p)
			select {
			case <-m.stop:
				return
			case <-t.C:
			}
		}
	})
	return m
}

func (m *memSampler) record(p procSet) {
	kb, err := p.mem()
	if err != nil {
		return
	}
	m.mu.Lock()
	m.peak = max(m.peak, kb)
	m.mu.Unlock()
}

// Stop ends the sampling and returns the peak in KiB. For a single process
// it also counts VmHWM, the kernel's own record of its peak RSS, which
// catches a peak shorter than the interval.
func (m *memSampler) Stop(p procSet) int64 {
	close(m.stop)
	m.done.Wait()
	m.record(p)
	if !p.tree {
		if hwm, err := statusKB(p.root, "VmHWM"); err == nil {
			m.peak = max(m.peak, hwm)
		}
	}
	return m.peak
}

// hostBusy returns the CPU time the whole machine has spent busy (user,
// nice, system, irq, softirq of every CPU; not idle, iowait or steal),
// from the first line of /proc/stat.
func hostBusy() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	return parseHostBusy(b)
}

func parseHostBusy(b []byte) (time.Duration, error) {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 8 || f[0] != "cpu" {
		return 0, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	var busy int64
	for _, i := range []int{1, 2, 3, 6, 7} { // user nice system irq softirq
		v, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/stat: %w", err)
		}
		busy += v
	}
	return time.Duration(busy) * (time.Second / clockTicks), nil
}

// selfCPU is the CPU time of this process (the load generator).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
