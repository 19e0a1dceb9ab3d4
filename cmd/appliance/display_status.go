package main

import (
	"net"
	"strings"
	"sync"
	"time"

	"github.com/homemmsc/homemmsc/internal/clock"
	"github.com/homemmsc/homemmsc/internal/display"
	"github.com/homemmsc/homemmsc/internal/health"
	"github.com/homemmsc/homemmsc/internal/store"
)

// statusSource builds the display's Status from the store and the system.
type statusSource struct {
	deps   displayDeps
	now    func() time.Time
	mu     sync.Mutex
	lastOK time.Time // the store last changed something successfully
}

func newStatusSource(deps displayDeps) *statusSource {
	if deps.synced == nil {
		deps.synced = clock.Synced
	}
	now := deps.now
	if now == nil {
		now = time.Now
	}
	return &statusSource{deps: deps, now: now, lastOK: now()}
}

// ok records a successful store change: older store errors are past.
func (s *statusSource) ok() {
	s.mu.Lock()
	s.lastOK = s.now()
	s.mu.Unlock()
}

func (s *statusSource) status() display.Status {
	stats := s.deps.store.Stats()
	st := display.Status{
		Now:         s.now(),
		New:         stats.New,
		Addr:        lanAddress(s.deps.listen),
		FreeBytes:   stats.FreeBytes,
		ClockSynced: s.deps.synced(),
	}
	if s.deps.modem != nil {
		st.ModemWanted = true
		st.Modem = s.deps.modem()
	}
	if newest, _ := s.deps.store.Query(store.Query{Limit: 1}); len(newest) > 0 {
		st.Last = lastMessage(newest[0])
	}
	s.mu.Lock()
	failing := stats.LastError != "" && stats.LastErrorAt.After(s.lastOK)
	s.mu.Unlock()
	switch {
	case failing && strings.Contains(stats.LastError, store.ErrFull.Error()):
		st.DiskFull = true
	case failing:
		st.StoreError = stats.LastError
	}
	if (stats.FreeBytes >= 0 && stats.FreeBytes < health.LowFree) || (s.deps.quota > 0 && stats.Bytes >= s.deps.quota) {
		st.DiskFull = true
	}
	return st
}

func lastMessage(m store.Meta) *display.Message {
	sender := m.Sender.Name
	if sender == "" {
		sender = m.Sender.Number
	}
	if sender == "" {
		sender = "unknown sender"
	}
	return &display.Message{Sender: sender, Subject: m.Subject, Received: m.Received, TimeOK: m.ClockSynced}
}

// lanAddress is where a phone on the LAN should post: the listen address,
// with a wildcard host replaced by this machine's first private IPv4
// address (then any non-loopback one).
func lanAddress(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if ip := net.ParseIP(host); host != "" && (ip == nil || !ip.IsUnspecified()) {
		return listen
	}
	addrs, _ := net.InterfaceAddrs()
	if ip := pickLAN(addrs); ip != nil {
		return net.JoinHostPort(ip.String(), port)
	}
	return listen
}

func pickLAN(addrs []net.Addr) net.IP {
	var fallback net.IP
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok || n.IP.To4() == nil || n.IP.IsLoopback() || n.IP.IsLinkLocalUnicast() {
			continue
		}
		if n.IP.IsPrivate() {
			return n.IP.To4()
		}
		if fallback == nil {
			fallback = n.IP.To4()
		}
	}
	return fallback
}
