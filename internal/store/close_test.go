package store

import (
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
)

// gateFS holds the first sync of the log, once armed, until released.
type gateFS struct {
	osFS
	entered, release chan struct{}
	armed            atomic.Bool
}

func (g *gateFS) OpenAppend(name string) (file, error) {
	f, err := g.osFS.OpenAppend(name)
	if err != nil {
		return nil, err
	}
	return gateFile{f, g}, nil
}

type gateFile struct {
	file
	g *gateFS
}

func (f gateFile) Sync() error {
	if f.g.armed.CompareAndSwap(true, false) {
		close(f.g.entered)
		<-f.g.release
	}
	return f.file.Sync()
}

func TestCloseWaitsForPutInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := testConfig(t)
		g := &gateFS{entered: make(chan struct{}), release: make(chan struct{})}
		cfg.fs = g
		s, err := Open(cfg)
		must(t, err)
		g.armed.Store(true)
		var putDone, closed atomic.Bool
		var putErr error
		go func() {
			_, putErr = s.Put(message("inflight", 100))
			putDone.Store(true)
		}()
		<-g.entered
		go func() {
			s.Close()
			closed.Store(true)
		}()
		synctest.Wait()
		if closed.Load() {
			t.Fatal("Close returned while a Put was writing")
		}
		if _, err := s.Put(message("late", 10)); !errors.Is(err, ErrClosed) {
			t.Fatalf("Put after Close began = %v, want ErrClosed", err)
		}
		close(g.release)
		synctest.Wait()
		if !closed.Load() || !putDone.Load() || putErr != nil {
			t.Fatalf("closed=%v putDone=%v putErr=%v", closed.Load(), putDone.Load(), putErr)
		}
		s2, err := Open(cfg)
		must(t, err)
		defer s2.Close()
		if l := list(s2); len(l) != 1 || l[0].TransactionID != "Tinflight" {
			t.Fatalf("after Close and reopen: %v", ids(l))
		}
	})
}
