package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/homemmsc/homemmsc/internal/floor"
	"github.com/homemmsc/homemmsc/internal/mms"
)

// The floors of issue 14, which -compare measures next to the appliance
// on the same PDUs, clients and file system, each in its own process
// (mmsload started again in a hidden mode) so that its CPU is its own:
//
//   - "log": the log design without HTTP (floor.Log): the clients
//     append the PDUs straight to the log, the floor;
//   - "http-floor": the cheapest correct MMSC over HTTP: net/http reads
//     the body (capped at mms.MaxPDU), appends it to a floor.Log and
//     answers an M-Send.conf with the request's Transaction-Id once
//     the record is durable. What HTTP costs on top of the log.
const (
	modeFloorHTTP = "floor-http" // mmsload floor-http -listen ADDR -data DIR
	modeFloorLog  = "floor-log"  // mmsload floor-log -data DIR -size N -c N … (prints a logReport)
	floorLogName  = "floor.log"  // the log's name in the data directory
)

// floorHandler is the HTTP floor: it stores each POSTed M-Send.req as
// one record of l and answers its M-Send.conf, the record's offset as
// the Message-ID.
func floorHandler(l *floor.Log) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST an M-Send.req", http.StatusMethodNotAllowed)
			return
		}
		body, err := readBody(w, r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		tid, ok := sendReqTID(body)
		if !ok {
			http.Error(w, "not an M-Send.req", http.StatusBadRequest)
			return
		}
		off, err := l.Append(body)
		if err != nil {
			http.Error(w, "not stored", http.StatusServiceUnavailable)
			return
		}
		conf, err := mms.NewSendConf(tid, mms.Version12, mms.StatusOk, strconv.FormatInt(off, 36)).Encode()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/vnd.wap.mms-message")
		w.Write(conf)
	})
}

// readBody reads the request body, at most mms.MaxPDU bytes, into one
// buffer sized from Content-Length when the client sent one.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	rd := http.MaxBytesReader(w, r.Body, mms.MaxPDU)
	if n := r.ContentLength; n > 0 && n <= mms.MaxPDU {
		buf := make([]byte, n)
		if _, err := io.ReadFull(rd, buf); err != nil {
			return nil, err
		}
		return buf, nil
	}
	return io.ReadAll(rd)
}

// sendReqTID returns the Transaction-Id of an M-Send.req, which
// OMA-MMS-ENC §7 puts right after the Message-Type, and false for
// anything else.
func sendReqTID(p []byte) (string, bool) {
	if !bytes.HasPrefix(p, sendReqPrefix) {
		return "", false
	}
	i := bytes.IndexByte(p[len(sendReqPrefix):], 0)
	if i <= 0 {
		return "", false
	}
	return string(p[len(sendReqPrefix) : len(sendReqPrefix)+i]), true
}

// serveFloorHTTP runs the HTTP floor until SIGTERM.
func serveFloorHTTP(args []string) int {
	fs := flag.NewFlagSet(modeFloorHTTP, flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "address")
	data := fs.String("data", "", "directory of the log")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := os.MkdirAll(*data, 0o750); err != nil {
		fmt.Fprintln(os.Stderr, "mmsload floor-http:", err)
		return 1
	}
	l, err := floor.OpenLog(filepath.Join(*data, floorLogName))
	if err != nil {
		fmt.Fprintln(os.Stderr, "mmsload floor-http:", err)
		return 1
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mmsload floor-http:", err)
		return 1
	}
	srv := &http.Server{Handler: floorHandler(l), ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() { <-ctx.Done(); srv.Shutdown(context.Background()) }()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "mmsload floor-http:", err)
		return 1
	}
	if err := l.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "mmsload floor-http:", err)
		return 1
	}
	return 0
}

// logReport is what the floor-log mode prints, as JSON, for the parent
// to make a row of.
type logReport struct {
	Load   loadResult
	CPU    cpuTime       // the process's rusage over the measured window
	Host   time.Duration // the machine's busy time over the window
	PeakKB int64         // VmHWM
}

// runFloorLog is the log design without HTTP: -c goroutines append the
// row's PDUs to a floor.Log in -data, for -warmup then -d, and the
// report goes to stdout.
func runFloorLog(args []string) int {
	fs := flag.NewFlagSet(modeFloorLog, flag.ContinueOnError)
	var (
		data    = fs.String("data", "", "directory of the log")
		size    = fs.Int("size", 30<<10, "PDU size")
		clients = fs.Int("c", 1, "concurrent writers")
		warmup  = fs.Duration("warmup", time.Second, "load before the window")
		dur     = fs.Duration("d", 5*time.Second, "measured window")
		count   = fs.Int("n", 0, "at most this many messages")
		seed    = fs.Uint64("seed", 1, "PDU seed (the row's)")
	)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	rep, err := floorLog(*data, rowSpec{Size: *size, Clients: *clients, Count: *count, Warmup: *warmup, Duration: *dur, Seed: *seed})
	if err != nil {
		fmt.Fprintln(os.Stderr, "mmsload floor-log:", err)
		return 1
	}
	if err := json.NewEncoder(os.Stdout).Encode(rep); err != nil {
		fmt.Fprintln(os.Stderr, "mmsload floor-log:", err)
		return 1
	}
	return 0
}

func floorLog(dir string, rs rowSpec) (logReport, error) {
	var rep logReport
	tmpl, err := newPDUTemplate(rs.Size, rowPrefix(rs), rs.Seed)
	if err != nil {
		return rep, err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return rep, err
	}
	l, err := floor.OpenLog(filepath.Join(dir, floorLogName))
	if err != nil {
		return rep, err
	}
	var ru0 cpuTime
	var host0 time.Duration
	window := func(end bool) {
		c, h := selfRusage(), hostBusyOr0()
		if end {
			rep.CPU, rep.Host = c.sub(ru0), h-host0
		} else {
			ru0, host0 = c, h
		}
	}
	rep.Load, err = runLoad(context.Background(), loadSpec{
		Clients: rs.Clients, Warmup: rs.Warmup, Duration: rs.Duration, Count: rs.Count,
		PDU: tmpl, Window: window, Sender: logSender(l, tmpl),
	})
	if cerr := l.Close(); err == nil {
		err = cerr
	}
	rep.PeakKB, _ = statusKB(os.Getpid(), "VmHWM")
	return rep, err
}

// logSender gives each writer its own copy of the PDU, in which only
// the Transaction-Id changes from one message to the next: no copy or
// allocation per message, as in BenchmarkWear, where the PDUs are built
// before the clock starts.
func logSender(l *floor.Log, t *pduTemplate) func() sendFunc {
	return func() sendFunc {
		buf := t.bytes(t.tid(0))
		return func(_ context.Context, tid string) string {
			copy(buf, t.head(tid))
			if _, err := l.Append(buf); err != nil {
				return "append: " + err.Error()
			}
			return ""
		}
	}
}

// rowPrefix is the Transaction-Id prefix of a row's PDUs: the same for
// every server of the row, so that all store the same bytes.
func rowPrefix(rs rowSpec) string {
	return fmt.Sprintf("L%04x-%d-%d-", rs.Seed&0xFFFF, rs.Size/1024, rs.Clients)
}

// selfRusage is this process's CPU time so far, split.
func selfRusage() cpuTime {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return cpuTime{}
	}
	return cpuTime{time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())}
}

func hostBusyOr0() time.Duration {
	h, _ := hostBusy()
	return h
}
