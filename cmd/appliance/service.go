package main

// Running as a systemd Type=notify service (board/homemmsc.service):
// READY=1 once the store is open and the listener bound, a STATUS line,
// watchdog pings that prove the MMSC still serves, STOPPING=1 when
// shutdown begins.
//
// What a stuck appliance looks like, and what each probe catches:
//   - the accept loop or the handlers are wedged (a deadlock, every
//     descriptor used up, a runaway goroutine starving the rest): phones
//     connect and wait. The probe makes a real HTTP request over a new
//     loopback connection to the MMSC listener and needs an answer, or at
//     least the prompt close of a listener whose connection slots are all
//     taken (see listenerStuck).
//   - the store's lock is held forever: Put and Stats block. The probe
//     calls Stats.
//   - the SD card hangs (fsync never returns, the usual end of a cheap
//     card): Put blocks in fsync. The probe writes, fsyncs and removes a
//     small file in the data directory.
//
// A probe that returns an error is not a hang: a full or read-only disk
// answers at once, and the MMSC then tells phones "transient failure"
// itself, which a restart would not fix. Only the listener probe's error
// counts (nothing answered in time); the disk's error goes into STATUS.
// A probe that never returns stops the pings, and systemd kills and
// restarts the service after WatchdogSec.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/homemmsc/homemmsc/internal/sdnotify"
	"github.com/homemmsc/homemmsc/internal/store"
)

// statusPeriod is how often STATUS is refreshed when there is no
// watchdog.
const statusPeriod = time.Minute

// stopWait is how long stop waits for a probe in progress: one stuck on
// a hung disk would otherwise hold the exit until systemd's SIGKILL.
const stopWait = 10 * time.Second

// minProbePeriod keeps a tiny WatchdogSec from spinning the probes.
const minProbePeriod = 10 * time.Millisecond

// probeFile is written and removed by the disk probe. It has the store's
// temporary-file prefix, so a crash in the middle leaves nothing that
// the store's recovery does not remove.
const probeFile = ".tmp-watchdog-probe"

// serviceDeps is what the service probes.
type serviceDeps struct {
	store   *store.Store
	dataDir string
	listen  string // the MMSC listener's bound address
}

// service feeds systemd.
type service struct {
	n      *sdnotify.Notifier
	deps   serviceDeps
	period time.Duration // between probes; half of WatchdogSec
	client *http.Client
	log    *slog.Logger
}

// startService sends READY=1 and starts the status and watchdog loop;
// STOPPING=1 goes out as soon as ctx is done. stop ends the loop. Without
// NOTIFY_SOCKET it does nothing.
func startService(ctx context.Context, getenv func(string) string, deps serviceDeps, log *slog.Logger) (stop func()) {
	n, err := sdnotify.New(getenv)
	if err != nil {
		log.Warn("systemd: cannot notify", "err", err)
	}
	if !n.Enabled() {
		return func() {}
	}
	s := &service{n: n, deps: deps, period: statusPeriod, log: log}
	interval, watchdog := sdnotify.WatchdogInterval(getenv, os.Getpid())
	if watchdog {
		s.period = max(interval/2, minProbePeriod)
		s.client = probeClient(s.period / 2)
		log.Info("systemd: watchdog on", "interval", interval, "probe_every", s.period)
	}
	ready := []string{"READY=1", "STATUS=" + s.summary(nil)}
	if watchdog { // the store is open and the listener bound: alive
		ready = append(ready, "WATCHDOG=1")
	}
	s.notify(ready...)
	ctx, cancel := context.WithCancel(ctx)
	stopping, done := make(chan struct{}), make(chan struct{})
	go func() { // apart from the loop: a stuck probe must not hold it up
		defer close(stopping)
		<-ctx.Done()
		s.notify("STOPPING=1", "STATUS=shutting down")
	}()
	go func() {
		defer close(done)
		s.loop(ctx, watchdog)
	}()
	return func() {
		cancel()
		<-stopping
		select {
		case <-done:
		case <-time.After(stopWait):
			log.Warn("systemd: a watchdog probe is stuck; exiting without it")
		}
	}
}

// loop probes every period and pings while the probes pass.
func (s *service) loop(ctx context.Context, watchdog bool) {
	t := time.NewTicker(s.period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !watchdog {
			s.notify("STATUS=" + s.summary(nil))
			continue
		}
		summary, err := s.probe(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			s.log.Error("systemd: watchdog probe failed, not pinging", "err", err)
			s.notify("STATUS=not answering: " + sdnotify.Line(err.Error()))
		default:
			s.notify("WATCHDOG=1", "STATUS="+summary)
		}
	}
}

func (s *service) notify(assignments ...string) {
	if err := s.n.Send(assignments...); err != nil {
		s.log.Warn("systemd: notify", "err", err)
	}
}

// probe checks the serving path; it returns an error when the listener
// did not answer, and blocks while the store or the disk does.
func (s *service) probe(ctx context.Context) (string, error) {
	err := s.askListener(ctx)
	if err != nil && listenerStuck(err) {
		return "", fmt.Errorf("MMSC listener %s: %w", s.deps.listen, err)
	}
	summary := s.summary(s.touchDisk())
	if err != nil {
		summary += sdnotify.Line("; probe connection closed: " + err.Error())
	}
	return summary, nil
}

// listenerStuck tells a serving path that does not answer from one that
// answered by closing the connection. With every connection slot taken
// (internal/guard's caps) the accept loop accepts and closes at once: a
// busy server, which a restart would not help. A wedged accept loop
// leaves the connection in the kernel's backlog: a timeout. Refused means
// nothing listens any more; out of descriptors means nothing can be
// accepted either.
func listenerStuck(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() ||
		errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)
}

// probeClient opens a new connection per request, so that the accept
// loop is exercised, and gives up after timeout.
func probeClient(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout:   timeout,
		Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// askListener sends GET / to the MMSC listener over loopback. Any HTTP
// answer will do: the status depends on what the handler (or a rate
// limit in front of it) thinks of "/", but an answer means a goroutine
// accepted the connection, parsed the request and wrote a reply.
func (s *service) askListener(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+loopbackAddr(s.deps.listen)+"/", nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", "homemmsc-watchdog")
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return err
}

// loopbackAddr is where the process reaches its own listener: a wildcard
// host becomes 127.0.0.1 (Go's wildcard listeners are dual-stack).
func loopbackAddr(addr string) string { return withHost(addr, "127.0.0.1") }

// touchDisk writes, syncs and removes a small file in the data directory.
// On a hung card it does not return; on a full or read-only one it
// returns the error.
func (s *service) touchDisk() error {
	return testWrite(filepath.Join(s.deps.dataDir, probeFile), true)
}

// summary is the STATUS line: what the store holds, and any disk error.
// Stats takes the store's lock, so a stuck store blocks here.
func (s *service) summary(diskErr error) string {
	st := s.deps.store.Stats()
	line := fmt.Sprintf("serving %s; %d messages (%d new), %s stored", s.deps.listen, st.Messages, st.New, humanSize(st.Bytes))
	if st.FreeBytes >= 0 {
		line += ", " + humanSize(st.FreeBytes) + " free"
	}
	if diskErr != nil {
		line += "; store not writable: " + diskErr.Error()
	}
	return sdnotify.Line(line)
}

// humanSize rounds a byte count for people: 0 B, 930 KB, 1.4 GB.
func humanSize(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f, prefix := float64(n)/unit, 0
	for f >= unit && prefix < 3 {
		f /= unit
		prefix++
	}
	if f < 10 {
		return fmt.Sprintf("%.1f %cB", f, "kMGT"[prefix])
	}
	return fmt.Sprintf("%.0f %cB", f, "kMGT"[prefix])
}
