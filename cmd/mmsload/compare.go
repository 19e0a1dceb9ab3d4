package main

import (
	"context"
	"fmt"
	"io"
	"slices"
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
	Host   time.Duration
	PeakKB int64 // peak VmRSS (ours) or peak sum of Pss (Apache tree)
	IdleKB int64
	// DevBytes is what the loop device under the matrix's image was
	// asked to write from the server's start to its stop (syncfs
	// after), when the matrix runs on one (HasDev).
	DevBytes int64
	HasDev   bool
	Problems []string // anything that went wrong around the load itself
}

// DevPerMsg is the device bytes per message answered OK, warm-up
// included (the device counts the warm-up's writes too).
func (r row) DevPerMsg() float64 {
	if len(r.Load.OKIDs) == 0 {
		return 0
	}
	return float64(r.DevBytes) / float64(len(r.Load.OKIDs))
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
	tmpl, err := newPDUTemplate(rs.Size, rowPrefix(rs), rs.Seed)
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
	p.DevBytes = 0
	for _, r := range rounds {
		p.DevBytes += r.DevBytes
		p.HasDev = p.HasDev && r.HasDev
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

// printRows prints the measurements, one line per row and server.
func printRows(out io.Writer, rows []row) {
	fmt.Fprintln(out)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "server\tsize\tclients\treq/s\tp50 ms\tp99 ms\tok\tfailed\tlost\tcorrupt\tCPU ms/msg\tsys %\thost ms/msg\tdev B/msg\tpeak MB\tidle MB\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d KB\t%d\t%.1f\t%.2f\t%.2f\t%d\t%d\t%d\t%d\t%.3f\t%.0f\t%.3f\t%s\t%.1f\t%s\t\n",
			r.Server, r.Size/1024, r.Clients, r.Load.ReqPerSec(),
			ms(r.Load.Percentile(0.50)), ms(r.Load.Percentile(0.99)),
			r.Load.OK, r.Load.Failed, r.Store.Lost, r.Store.Corrupt,
			ms(r.CPUPerMsg()), r.SysShare(), ms(r.HostPerMsg()), devCell(r), float64(r.PeakKB)/1024, idleMB(r))
	}
	tw.Flush()
	fmt.Fprintln(out, "(ok/failed: measured window; lost/corrupt: every message answered OK, warm-up included,")
	fmt.Fprintln(out, " looked up by sha256 in the server's store after it stopped; peak: homemmsc VmRSS, seed-php sum of Pss;")
	fmt.Fprintln(out, " CPU: the server's processes; host: the whole machine but mmsload, kernel writeback included,")
	fmt.Fprintln(out, " meaningful only when nothing else runs; dev: bytes the image's loop device wrote, start to stop,")
	fmt.Fprintln(out, " per message answered OK, warm-up included; log: the log design without HTTP, its own rusage;")
	fmt.Fprintln(out, " http-floor: net/http + the same log)")
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

func devCell(r row) string {
	if !r.HasDev {
		return "-"
	}
	return fmt.Sprintf("%.0f", r.DevPerMsg())
}

func idleMB(r row) string {
	if r.IdleKB == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", float64(r.IdleKB)/1024)
}
