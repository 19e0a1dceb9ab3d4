// Command mmsload is the HTTP load generator and benchmark of the MMSC.
//
// It POSTs realistic M-Send.req PDUs (a SMIL part, a JPEG photo and a text,
// each PDU with its own Transaction-Id) from N concurrent keep-alive
// clients and reports req/s, p50/p99 latency, messages OK, failed and lost,
// the server's CPU per message and its peak memory.
//
// One row against a running server:
//
//	mmsload -url 'http://127.0.0.1:8080/mms?n=%2B15551230000' -c 8 -size 300k -d 5s \
//	        -pid $(pidof appliance) -data ./mmsc-data
//	mmsload -url 'http://127.0.0.1:18080/mms.php?n=15551230000' -lax -c 8 -size 30k \
//	        -pidfile ../shared/seed-php/run/httpd.pid -tree -data ../shared/seed-php/htdocs/mms
//
// The matrix of issues 2 and 14 (1, 8 and 64 clients × 30 KB and
// 300 KB), with the targets marked PASS/FAIL:
//
//	go run ./cmd/mmsload -compare
//
// It measures four designs on the same PDUs and clients: a freshly built
// cmd/appliance ("homemmsc"); when Apache and mod_php 8.2 are installed,
// the seed PHP page ("seed-php"); and the two floors of issue 14, each
// mmsload started again in a hidden mode so that its CPU is its own:
// "log", the log design without HTTP (internal/floor's Log: append the
// PDU, fdatasync, concurrent writers share one fdatasync; the CPU is
// the process's rusage over the window), and "http-floor", the cheapest
// correct MMSC over HTTP (net/http reads the capped body, appends it to
// the same log and answers the M-Send.conf once it is durable).
//
// When it runs as root with losetup and mkfs.ext4 (internal/wear), every
// design runs on one ext4 image with its journal, mounted noatime, on a
// loop device, sized for the biggest row: the same file system for all,
// like an SD card's, and the device's own count of the bytes it was
// asked to write, from each server's start to its stop (syncfs after),
// per message ("dev B/msg"). Each row's files are deleted as soon as it
// is measured (with a journal ext4 does not scan recently freed inodes).
// Elsewhere one line says why, and the matrix runs on the working disk
// without device bytes (-image=false asks for that); there the rows'
// files are deleted at the end, since ext4 without a journal scans past
// freed inodes when it creates files right after a mass delete.
//
// Each row starts the server afresh with an empty store, loads it for a
// warm-up and a measured window, stops it, and looks every message that
// was answered OK up in its store by sha256 ("lost" when it is not there
// intact). The matrix measures each row -rounds times (3), alternating
// the designs, and pools the rounds (requests, latencies and CPU time
// and device bytes together, the highest peak memory, every loss): on a
// shared VM one 5 s window of any server could be twice as fast as the
// next. CPU is utime+stime from /proc/PID/stat over the window (for
// Apache, the master, its children and its reaped children). That is
// not all the CPU a server causes: the seed page never syncs, so the
// kernel's writeback threads flush its files later and are charged for
// it, while our fsyncs do the same flushing in our process. The "host"
// column is therefore the whole machine's busy time (/proc/stat) minus
// mmsload's own, per message: the fairer comparison, but only on a
// machine where nothing else runs. Memory is VmRSS sampled every 50 ms
// and VmHWM for ours, and the sum of Pss over Apache's master and
// children sampled every 100 ms for the seed.
//
// The verdict has two tables. Targets: CPU per message at most 2× the
// log design's (at 30 KB × 1, 30 KB × 8, 300 KB × 1), messages per
// second at least 0.9× the log design's at one client and 1.5× the
// seed's at every row, device bytes per message at most 1.1× the log
// design's, no message lost (ours or the floors'), idle RSS at most
// 12 MB. Shown without a target: our CPU against the HTTP floor's, the
// HTTP floor's CPU and one-client rate against the log's (flagged when
// HTTP alone misses the 2× or the 0.9× target),
// the log design's rate against the seed's (flagged when even it is
// under 1.5×: then no design that syncs can pass that row), and issue
// 2's retired CPU and memory ratios against the seed. -strict exits 1
// when a target is missed. Everything listens on 127.0.0.1 only.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) > 0 { // the floors, started by -compare (floor.go)
		switch args[0] {
		case modeFloorHTTP:
			return serveFloorHTTP(args[1:])
		case modeFloorLog:
			return runFloorLog(args[1:])
		}
	}
	fs := flag.NewFlagSet("mmsload", flag.ContinueOnError)
	var (
		compare  = fs.Bool("compare", false, "run the issue-2 matrix against our binary and the seed page")
		strict   = fs.Bool("strict", false, "with -compare: exit 1 when a target is missed")
		bin      = fs.String("bin", "", "with -compare: use this appliance binary instead of building ./cmd/appliance")
		seedDir  = fs.String("seed", "", "with -compare: the seed-php folder (default ../shared/seed-php from the repo root)")
		image    = fs.Bool("image", true, "with -compare: run every design on one loop-device ext4 image when one can be built (root)")
		sizes    = fs.String("sizes", "30k,300k", "with -compare: PDU sizes")
		clientsL = fs.String("clients", "1,8,64", "with -compare: client counts")
		url      = fs.String("url", "", "POST the PDUs here (one row)")
		clients  = fs.Int("c", 8, "concurrent clients (one row)")
		size     = fs.String("size", "30k", "PDU size in bytes, or with a k suffix (KiB) (one row)")
		dur      = fs.Duration("d", 5*time.Second, "measured window of each row")
		rounds   = fs.Int("rounds", 3, "with -compare: measure each row this many times, alternating the servers, and pool the rounds")
		warmup   = fs.Duration("warmup", time.Second, "load before the measured window")
		count    = fs.Int("n", 0, "at most this many messages per row, warm-up included (0: -compare bounds it, one row: no limit)")
		lax      = fs.Bool("lax", false, "count any HTTP 200 as OK (the seed page answers malformed M-Send.conf)")
		pid      = fs.Int("pid", 0, "server process to measure (one row)")
		pidfile  = fs.String("pidfile", "", "read the server pid from this file (one row)")
		tree     = fs.Bool("tree", false, "the server is a master with children: sum them (Apache)")
		dataDir  = fs.String("data", "", "after the row, look the messages answered OK up here by sha256")
	)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *compare {
		return doCompare(ctx, compareFlags{*sizes, *clientsL, *bin, *seedDir, *warmup, *dur, *rounds, *strict, !*image})
	}
	if *url == "" {
		fmt.Fprintln(os.Stderr, "mmsload: give -url for one row, or -compare")
		fs.Usage()
		return 2
	}
	n, err := parseSize(*size)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mmsload:", err)
		return 2
	}
	p, err := targetPid(*pid, *pidfile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mmsload:", err)
		return 2
	}
	return oneShot(ctx, oneShotSpec{
		URL: *url, Clients: *clients, Size: n, Count: *count, Warmup: *warmup,
		Duration: *dur, Lax: *lax, Procs: procSet{root: p, tree: *tree}, DataDir: *dataDir,
	})
}

type compareFlags struct {
	sizes, clients, bin, seedDir string
	warmup, dur                  time.Duration
	rounds                       int
	strict, noImage              bool
}

func doCompare(ctx context.Context, f compareFlags) int {
	cs := compareSpec{Warmup: f.warmup, Duration: f.dur, Rounds: f.rounds, Bin: f.bin, SeedDir: f.seedDir, NoImage: f.noImage, Out: os.Stdout}
	var err error
	if cs.Sizes, err = parseList(f.sizes, parseSize); err == nil {
		cs.Clients, err = parseList(f.clients, strconv.Atoi)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mmsload:", err)
		return 2
	}
	if cs.SeedDir == "" {
		root, err := repoRoot()
		if err != nil {
			fmt.Fprintln(os.Stderr, "mmsload:", err)
			return 2
		}
		cs.SeedDir = filepath.Join(root, "..", "shared", "seed-php")
	}
	ok, err := runCompare(ctx, cs)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mmsload:", err)
		return 1
	}
	if !ok && f.strict {
		return 1
	}
	return 0
}

type oneShotSpec struct {
	URL                  string
	Clients, Size, Count int
	Warmup, Duration     time.Duration
	Lax                  bool
	Procs                procSet
	DataDir              string
}

// oneShot runs one row against a server someone else started.
func oneShot(ctx context.Context, o oneShotSpec) int {
	s := &server{
		Name: "target", URL: o.URL, Procs: o.Procs, DataDir: o.DataDir, Strict: !o.Lax,
		stop: func() error { return nil }, cleanup: func() {},
	}
	if o.Procs.root == 0 {
		s.Procs = procSet{root: os.Getpid()} // measure nothing useful, but safely
	}
	r := measureRow(ctx, s, rowSpec{
		Size: o.Size, Clients: o.Clients, Count: o.Count, Warmup: o.Warmup,
		Duration: o.Duration, Seed: uint64(time.Now().UnixNano()),
	})
	if o.Procs.root == 0 {
		r.CPU, r.PeakKB = cpuTime{}, 0
	}
	if o.DataDir == "" {
		r.Store = storeCheck{}
	}
	printRows(os.Stdout, []row{r})
	if o.DataDir == "" {
		fmt.Println("(no -data: stored messages not checked)")
	}
	if len(r.Problems) > 0 || r.Store.Lost+r.Store.Corrupt > 0 {
		return 1
	}
	return 0
}

func targetPid(pid int, pidfile string) (int, error) {
	if pidfile == "" {
		return pid, nil
	}
	b, err := os.ReadFile(pidfile)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// parseSize reads "30000", "30k" or "30KB" (KiB).
func parseSize(s string) (int, error) {
	t := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), "b")
	mult := 1
	if strings.HasSuffix(t, "k") {
		t, mult = strings.TrimSuffix(t, "k"), 1024
	}
	n, err := strconv.Atoi(t)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return n * mult, nil
}

func parseList(s string, parse func(string) (int, error)) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := parse(f)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}
