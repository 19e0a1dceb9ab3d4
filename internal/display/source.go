package display

import (
	"strings"
	"sync"
	"time"

	"github.com/homemmsc/homemmsc/internal/clock"
	"github.com/homemmsc/homemmsc/internal/netaddr"
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
		Addr:        netaddr.LAN(s.cfg.Listen),
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
