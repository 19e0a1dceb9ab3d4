package watchdog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"syscall"
	"time"

	"github.com/homemmsc/homemmsc/internal/bytesize"
	"github.com/homemmsc/homemmsc/internal/health"
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

// Config is what the service probes.
type Config struct {
	Getenv func(string) string // NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID
	Stats  func() store.Stats  // the store's; blocks while the store's lock is held
	Dir    string              // the store's directory, where the disk probe writes
	Listen string              // the MMSC listener's bound address, for STATUS
	Probe  string              // host:port the process reaches that listener at (loopback for a wildcard)
	Logger *slog.Logger        // if nil, slog.Default()
}

// service feeds systemd.
type service struct {
	n      *sdnotify.Notifier
	cfg    Config
	period time.Duration // between probes; half of WatchdogSec
	client *http.Client
	log    *slog.Logger
}

// Start sends READY=1 and starts the status and watchdog loop;
// STOPPING=1 goes out as soon as ctx is done. stop ends the loop. Without
// NOTIFY_SOCKET it does nothing.
func Start(ctx context.Context, cfg Config) (stop func()) {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	n, err := sdnotify.New(cfg.Getenv)
	if err != nil {
		log.Warn("systemd: cannot notify", "err", err)
	}
	if !n.Enabled() {
		return func() {}
	}
	s := &service{n: n, cfg: cfg, period: statusPeriod, log: log}
	interval, watchdog := sdnotify.WatchdogInterval(cfg.Getenv, os.Getpid())
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
		return "", fmt.Errorf("MMSC listener %s: %w", s.cfg.Listen, err)
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
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+s.cfg.Probe+"/", nil)
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

// touchDisk checks the data directory's filesystem without writing to
// it (health.CheckDisk). On a hung card it does not return; on a
// read-only one it returns the error.
func (s *service) touchDisk() error {
	return health.CheckDisk(s.cfg.Dir)
}

// summary is the STATUS line: what the store holds, and any disk error.
// Stats takes the store's lock, so a stuck store blocks here.
func (s *service) summary(diskErr error) string {
	st := s.cfg.Stats()
	line := fmt.Sprintf("serving %s; %d messages (%d new), %s stored", s.cfg.Listen, st.Messages, st.New, bytesize.Human(st.Bytes))
	if st.FreeBytes >= 0 {
		line += ", " + bytesize.Human(st.FreeBytes) + " free"
	}
	if diskErr != nil {
		line += "; store not writable: " + diskErr.Error()
	}
	return sdnotify.Line(line)
}
