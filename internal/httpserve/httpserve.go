// Package httpserve runs the appliance's HTTP servers: the MMSC listener that
// phones post to and the LAN listener, with limits for slow mobile uplinks
// and a graceful stop that lets the requests in flight finish. [Listen]
// opens both; [LANHandler] routes the LAN one (/healthz, /metrics, the
// self-test, the inbox or a short index).
//
// A phone on a slow GPRS/EDGE uplink may need minutes to post a message of
// a few hundred KB, so the body timeout is generous; the header timeout is
// short against slowloris. Run stops every server when ctx is done or when
// one of them fails, and waits for the requests in flight (a message being
// stored) for up to shutdownTimeout in all.
package httpserve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// HTTP server limits (see the package doc).
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 5 * time.Minute
	writeTimeout      = readTimeout + 30*time.Second // counts from the end of the headers
	idleTimeout       = 60 * time.Second
	maxHeaderBytes    = 16 << 10
	shutdownTimeout   = 30 * time.Second
)

// NewServer is an http.Server for h with the limits above; its error log
// goes to log at level Warn.
func NewServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// Server is one listener and its HTTP server.
type Server struct {
	Name     string // "MMSC", "LAN": for errors and the log
	HTTP     *http.Server
	Listener net.Listener
	Serving  *atomic.Bool // if set, true while Serve runs
}

// Run serves on every listener until ctx is done or one of them fails,
// then stops them all, waiting (up to shutdownTimeout in all) for the
// requests in flight to finish.
func Run(ctx context.Context, log *slog.Logger, servers ...Server) error {
	errc := make(chan error, len(servers))
	for _, s := range servers {
		if s.Serving != nil {
			s.Serving.Store(true)
		}
		go func() {
			err := s.HTTP.Serve(s.Listener)
			if s.Serving != nil {
				s.Serving.Store(false)
			}
			errc <- fmt.Errorf("%s listener: %w", s.Name, err)
		}()
	}
	var failed error
	select {
	case failed = <-errc:
	case <-ctx.Done():
		log.Info("homemmsc: shutting down, draining requests in flight")
	}
	return errors.Join(failed, shutdownAll(servers, log))
}

func shutdownAll(servers []Server, log *slog.Logger) error {
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for _, s := range servers {
		wg.Go(func() {
			if err := s.HTTP.Shutdown(sctx); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("shutdown %s: %w", s.Name, err))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	log.Info("homemmsc: stopped")
	return errors.Join(errs...)
}
