package routertest

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// Listen opens a TCP listener inside namespace ns (r.LAN or r.Internet)
// for a server the test runs itself: a socket belongs to the namespace
// of the thread that made it, so one locked thread enters ns, listens
// and comes back; Accept then works from any thread. The test's cleanup
// closes it.
func (r *Router) Listen(t testing.TB, ns, addr string) net.Listener {
	t.Helper()
	var ln net.Listener
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		ln, err = listenIn("/run/netns/"+ns, addr)
	}()
	<-done
	if err != nil {
		t.Fatalf("routertest: listen in %s: %v", ns, err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// listenIn listens in the namespace at path, on the calling (locked)
// thread, and returns the thread to its own namespace. A thread that
// cannot return stays locked, so Go ends it with its goroutine.
func listenIn(path, addr string) (net.Listener, error) {
	self, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		return nil, err
	}
	defer self.Close()
	target, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		return nil, fmt.Errorf("setns: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if unix.Setns(int(self.Fd()), unix.CLONE_NEWNET) == nil {
		runtime.UnlockOSThread()
	}
	return ln, err
}
