package display

import (
	"net"
	"strings"
	"sync"
	"time"

	"github.com/homemmsc/homemmsc/internal/clock"
	"github.com/homemmsc/homemmsc/internal/store"
)

// SourceConfig is what the screen shows.
type SourceConfig struct {
	Store  *store.Store
	Quota  int64            // -quota; 0 = none
	Listen string           // the MMSC listener's address
	Modem  func() *Modem    // nil: no modem configured (shown as "x", no banner)
	Synced func() bool      // if nil, clock.Synced
	Now    func() time.Time // if nil, time.Now
}

// Source builds the display's Status from the store and the system.
type Source struct {
	cfg    SourceConfig
	mu     sync.Mutex
	lastOK time.Time // the store last changed something successfully
}

// NewSource returns the Status source described by cfg.
func NewSource(cfg SourceConfig) *Source {
	if cfg.Synced == nil {
		cfg.Synced = clock.Synced
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Source{cfg: cfg, lastOK: cfg.Now()}
}

// StoreChanged records a successful store change: older store errors are
// past.
func (s *Source) StoreChanged() {
	s.mu.Lock()
	s.lastOK = s.cfg.Now()
	s.mu.Unlock()
}

// Status is what the screen shows now.
func (s *Source) Status() Status {
	stats := s.cfg.Store.Stats()
	st := Status{
		Now:         s.cfg.Now(),
		New:         stats.New,
		Addr:        lanAddress(s.cfg.Listen),
		FreeBytes:   stats.FreeBytes,
		ClockSynced: s.cfg.Synced(),
	}
	if s.cfg.Modem != nil {
		st.ModemWanted = true
		st.Modem = s.cfg.Modem()
	}
	if newest, _ := s.cfg.Store.Query(store.Query{Limit: 1}); len(newest) > 0 {
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
	if (stats.FreeBytes >= 0 && stats.FreeBytes < store.DefaultMinFree) || (s.cfg.Quota > 0 && stats.Bytes >= s.cfg.Quota) {
		st.DiskFull = true
	}
	return st
}

func lastMessage(m store.Meta) *Message {
	sender := m.Sender.Name
	if sender == "" {
		sender = m.Sender.Number
	}
	if sender == "" {
		sender = "unknown sender"
	}
	return &Message{Sender: sender, Subject: m.Subject, Received: m.Received, TimeOK: m.ClockSynced}
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
