package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// A row is one measured cell of the matrix for one server.
type row struct {
	Server  string
	Size    int
	Clients int
	Load    loadResult
	Store   storeCheck
	CPU     cpuTime // CPU the server used in the measured window
	// Host is the CPU the whole machine used in the window, minus the
	// load generator's own: it also counts the kernel's writeback
	// threads, which flush the seed's files later (it never syncs) while
	// our fsyncs do the same work in our process. Only meaningful on an
	// otherwise idle machine.
	Host     time.Duration
	PeakKB   int64 // peak VmRSS (ours) or peak sum of Pss (Apache tree)
	IdleKB   int64
	Problems []string // anything that went wrong around the load itself
}

// CPUPerMsg is the server's CPU time per message answered OK.
func (r row) CPUPerMsg() time.Duration { return r.perMsg(r.CPU.Total()) }

// HostPerMsg is the machine's CPU time (minus the load generator's) per
// message answered OK.
func (r row) HostPerMsg() time.Duration { return r.perMsg(r.Host) }

// perMsg divides d by the messages answered OK (0 if none).
func (r row) perMsg(d time.Duration) time.Duration {
	if r.Load.OK == 0 {
		return 0
	}
	return d / time.Duration(r.Load.OK)
}

// SysShare is the part of the CPU time spent in the kernel (fsync,
// network, page cache), in percent.
func (r row) SysShare() float64 {
	if r.CPU.Total() <= 0 {
		return 0
	}
	return 100 * float64(r.CPU.Sys) / float64(r.CPU.Total())
}

// rowSpec is what measureRow needs besides the server.
type rowSpec struct {
	Size, Clients, Count int
	Warmup, Duration     time.Duration
	Seed                 uint64
}

// measureRow loads a running server, stops it, and checks what it stored.
// It always stops the server; the caller cleans it up.
func measureRow(ctx context.Context, s *server, rs rowSpec) row {
	r := row{Server: s.Name, Size: rs.Size, Clients: rs.Clients, IdleKB: s.IdleKB}
	prefix := fmt.Sprintf("L%04x-%d-%d-", rs.Seed&0xFFFF, rs.Size/1024, rs.Clients)
	tmpl, err := newPDUTemplate(rs.Size, prefix, rs.Seed)
	if err != nil {
		r.Problems = append(r.Problems, err.Error())
		s.Stop()
		return r
	}
	var cpu0 cpuTime
	var host0 time.Duration
	window := func(end bool) {
		c, err := s.Procs.cpu()
		if err != nil {
			r.Problems = append(r.Problems, "cpu: "+err.Error())
		}
		h, herr := hostBusy()
		h -= selfCPU()
		if end {
			r.CPU = c.sub(cpu0)
			if herr == nil {
				r.Host = h - host0
			}
		} else {
			cpu0, host0 = c, h
		}
	}
	interval := 50 * time.Millisecond
	if s.Procs.tree {
		interval = 100 * time.Millisecond // smaps_rollup of 60+ processes is not free
	}
	mem := sampleMem(s.Procs, interval)
	r.Load, err = runLoad(ctx, loadSpec{
		URL: s.URL, Clients: rs.Clients, Warmup: rs.Warmup, Duration: rs.Duration,
		Count: rs.Count, PDU: tmpl, Strict: s.Strict, Window: window,
	})
	r.PeakKB = mem.Stop(s.Procs)
	if err != nil {
		r.Problems = append(r.Problems, "load: "+err.Error())
	}
	if err := s.Stop(); err != nil {
		r.Problems = append(r.Problems, "stop: "+err.Error())
	}
	r.Store, err = verifyDir(s.DataDir, tmpl, r.Load.OKIDs)
	if err != nil {
		r.Problems = append(r.Problems, "verify: "+err.Error())
	}
	return r
}

// compareSpec is the -compare matrix.
type compareSpec struct {
	Sizes, Clients   []int
	Warmup, Duration time.Duration
	Rounds           int    // measurements of each row and server, pooled
	Bin              string // prebuilt appliance; empty = build it
	SeedDir          string
	Out              io.Writer
}

// runCompare runs the matrix against our binary and, when it can run
// here, the seed page, then prints the table. It returns false when a
// target of the issue was missed.
func runCompare(ctx context.Context, cs compareSpec) (bool, error) {
	bin := cs.Bin
	if bin == "" {
		root, err := repoRoot()
		if err != nil {
			return false, err
		}
		dir, err := os.MkdirTemp("", "mmsload-bin-")
		if err != nil {
			return false, err
		}
		defer os.RemoveAll(dir)
		fmt.Fprintln(cs.Out, "building ./cmd/appliance …")
		if bin, err = buildAppliance(ctx, root, dir); err != nil {
			return false, err
		}
	}
	skip := seedAvailable(cs.SeedDir)
	seed := uint64(time.Now().UnixNano())
	// Each row's files are deleted only when the whole matrix is done: on
	// ext4 without a journal, creating files right after deleting
	// thousands scans past the freed inodes (recently_deleted), which
	// would charge one row for the previous row's clean-up.
	var cleanups []func()
	defer func() {
		for _, c := range cleanups {
			c()
		}
	}()
	runRow := func(rs rowSpec, start func() (*server, error)) (row, error) {
		r, cleanup, err := oneRow(ctx, cs.Out, rs, start)
		if cleanup != nil {
			cleanups = append(cleanups, cleanup)
		}
		return r, err
	}
	var ours, theirs []row
	for _, size := range cs.Sizes {
		for _, c := range cs.Clients {
			// Alternate the servers round by round, so that a slow
			// spell of the machine falls on both, and pool the rounds.
			var o, t []row
			for range max(cs.Rounds, 1) {
				rs := rowSpec{Size: size, Clients: c, Count: rowCount(size), Warmup: cs.Warmup, Duration: cs.Duration, Seed: seed}
				seed++
				r, err := runRow(rs, func() (*server, error) { return startAppliance(ctx, bin) })
				if err != nil {
					return false, err
				}
				o = append(o, r)
				if skip != "" {
					continue
				}
				r, err = runRow(rs, func() (*server, error) { return startSeed(ctx, cs.SeedDir) })
				if err != nil {
					return false, err
				}
				t = append(t, r)
			}
			ours = append(ours, pool(o))
			if skip == "" {
				theirs = append(theirs, pool(t))
			}
		}
	}
	printRows(cs.Out, append(append([]row{}, ours...), theirs...))
	if skip != "" {
		fmt.Fprintf(cs.Out, "\nSeed comparison SKIPPED: %s.\nOnly the absolute targets are checked.\n", skip)
	}
	return printVerdict(cs.Out, ours, theirs), nil
}

// pool merges the rounds of one row and server into one row: the
// requests, messages, latencies and CPU time of all rounds together (so
// req/s and CPU per message are over the pooled windows), the highest
// peak and idle memory, every loss and every problem.
func pool(rounds []row) row {
	p := rounds[0]
	p.Load.Errors = map[string]int{}
	p.Load.Latency = nil
	p.Load.OKIDs = nil
	p.Load.Elapsed, p.Load.Measured, p.Load.OK, p.Load.Failed, p.Load.Sent = 0, 0, 0, 0, 0
	p.Store, p.CPU, p.Host, p.Problems = storeCheck{}, cpuTime{}, 0, nil
	for _, r := range rounds {
		p.Load.Elapsed += r.Load.Elapsed
		p.Load.Measured += r.Load.Measured
		p.Load.OK += r.Load.OK
		p.Load.Failed += r.Load.Failed
		p.Load.Sent += r.Load.Sent
		p.Load.Latency = append(p.Load.Latency, r.Load.Latency...)
		p.Load.OKIDs = append(p.Load.OKIDs, r.Load.OKIDs...)
		for reason, n := range r.Load.Errors {
			p.Load.Errors[reason] += n
		}
		p.Store.Intact += r.Store.Intact
		p.Store.Lost += r.Store.Lost
		p.Store.Corrupt += r.Store.Corrupt
		p.Store.Extra += r.Store.Extra
		p.CPU.User += r.CPU.User
		p.CPU.Sys += r.CPU.Sys
		p.Host += r.Host
		p.PeakKB = max(p.PeakKB, r.PeakKB)
		p.IdleKB = max(p.IdleKB, r.IdleKB)
		p.Problems = append(p.Problems, r.Problems...)
	}
	slices.Sort(p.Load.Latency)
	return p
}

// rowCount bounds the messages of one row, so a fast server cannot fill
// the disk (the rows' data is deleted at the end): about 900 MB at 30 KB,
// 1.8 GB at 300 KB, above what either server reaches in a 6 s row here.
func rowCount(size int) int {
	return max(6000, 900<<20/size)
}

// oneRow starts a server, measures one row and stops it; the caller
// deletes the server's files with the returned cleanup.
func oneRow(ctx context.Context, out io.Writer, rs rowSpec, start func() (*server, error)) (row, func(), error) {
	s, err := start()
	if err != nil {
		return row{}, nil, err
	}
	fmt.Fprintf(out, "  %-8s %4d KB × %2d clients … ", s.Name, rs.Size/1024, rs.Clients)
	r := measureRow(ctx, s, rs)
	fmt.Fprintf(out, "%.0f req/s, %d ok, %d lost\n", r.Load.ReqPerSec(), r.Load.OK, r.Store.Lost+r.Store.Corrupt)
	return r, s.Cleanup, ctx.Err()
}

// printRows prints the measurements, one line per row and server.
func printRows(out io.Writer, rows []row) {
	fmt.Fprintln(out)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "server\tsize\tclients\treq/s\tp50 ms\tp99 ms\tok\tfailed\tlost\tcorrupt\tCPU ms/msg\tsys %\thost ms/msg\tpeak MB\tidle MB\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d KB\t%d\t%.1f\t%.2f\t%.2f\t%d\t%d\t%d\t%d\t%.3f\t%.0f\t%.3f\t%.1f\t%s\t\n",
			r.Server, r.Size/1024, r.Clients, r.Load.ReqPerSec(),
			ms(r.Load.Percentile(0.50)), ms(r.Load.Percentile(0.99)),
			r.Load.OK, r.Load.Failed, r.Store.Lost, r.Store.Corrupt,
			ms(r.CPUPerMsg()), r.SysShare(), ms(r.HostPerMsg()), float64(r.PeakKB)/1024, idleMB(r))
	}
	tw.Flush()
	fmt.Fprintln(out, "(ok/failed: measured window; lost/corrupt: every message answered OK, warm-up included,")
	fmt.Fprintln(out, " looked up by sha256 in the server's store after it stopped; peak: homemmsc VmRSS, seed-php sum of Pss;")
	fmt.Fprintln(out, " CPU: the server's processes; host: the whole machine but mmsload, kernel writeback included,")
	fmt.Fprintln(out, " meaningful only when nothing else runs)")
	for _, r := range rows {
		for _, p := range r.Problems {
			fmt.Fprintf(out, "problem: %s %d KB × %d: %s\n", r.Server, r.Size/1024, r.Clients, p)
		}
		for reason, n := range r.Load.Errors {
			fmt.Fprintf(out, "failures: %s %d KB × %d: %d × %s\n", r.Server, r.Size/1024, r.Clients, n, reason)
		}
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func idleMB(r row) string {
	if r.IdleKB == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", float64(r.IdleKB)/1024)
}

// The targets: messages per second at least 1.5 times the seed page's
// at every row (issue 14, which replaced issue 2's 0.9 at one client),
// and issue 2's idle RSS. Issue 14 retired issue 2's CPU (a third of
// the seed's) and RSS (half the seed's PSS) targets, which compared
// unlike things: their ratios are still shown, without a verdict. The
// CPU target that replaced them (at most twice the CPU of an
// append-only log) is BenchmarkWear's, in internal/store.
const (
	idleRSSLimitKB = 12 * 1024
	rateRatioMin   = 1.5
)

// printVerdict checks every row against the targets and prints PASS/FAIL.
func printVerdict(out io.Writer, ours, theirs []row) bool {
	fmt.Fprintln(out, "\nTargets (issues 2 and 14; CPU and peak RSS vs the seed: shown, retired as targets):")
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "row\treq/s vs seed\tlost\tCPU/msg vs seed\tpeak RSS vs seed PSS\tidle RSS\t")
	all := true
	for i, r := range ours {
		cells := []string{fmt.Sprintf("%d KB × %d", r.Size/1024, r.Clients)}
		var oks []bool
		add := func(cell string, ok bool) {
			cells = append(cells, cell+" "+passFail(ok))
			oks = append(oks, ok)
		}
		if i < len(theirs) {
			s := theirs[i]
			add(ratioCell(r.Load.ReqPerSec(), s.Load.ReqPerSec(), "≥", rateRatioMin), ratio(r.Load.ReqPerSec(), s.Load.ReqPerSec()) >= rateRatioMin)
		} else {
			cells = append(cells, "-")
		}
		add(fmt.Sprintf("%d (seed %s)", r.Store.Lost+r.Store.Corrupt, seedLost(theirs, i)), r.Store.Lost+r.Store.Corrupt == 0 && r.Load.OK > 0 && len(r.Problems) == 0)
		if i < len(theirs) {
			s := theirs[i]
			cells = append(cells, infoRatio(float64(r.CPUPerMsg()), float64(s.CPUPerMsg())), infoRatio(float64(r.PeakKB), float64(s.PeakKB)))
		} else {
			cells = append(cells, "-", "-")
		}
		add(fmt.Sprintf("%.1f MB (≤ 12)", float64(r.IdleKB)/1024), r.IdleKB > 0 && r.IdleKB <= idleRSSLimitKB)
		for _, ok := range oks {
			all = all && ok
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
	}
	tw.Flush()
	fmt.Fprintf(out, "overall: %s\n", passFail(all))
	return all
}

func seedLost(theirs []row, i int) string {
	if i >= len(theirs) {
		return "-"
	}
	s := theirs[i]
	return fmt.Sprintf("%d of %d", s.Store.Lost+s.Store.Corrupt, len(s.Load.OKIDs))
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func ratioCell(a, b float64, op string, limit float64) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f× (%s %.2g)", a/b, op, limit)
}

// infoRatio is a ratio shown without a target.
func infoRatio(a, b float64) string {
	if a == 0 || b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func passFail(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}
