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
	Quota  int64         // -quota; 0 = none
	Listen string        // the MMSC listener's address
	Inbox  string        // the LAN listener's address (-lan), where the owner reads the inbox; "" = off
	Modem  func() *Modem // nil: no modem configured (shown as "x", no banner)
	// SetupCode is the inbox's one-time setup code (inbox.Handler.SetupCode);
	// may be nil.
	SetupCode func() string
	Synced    func() bool          // if nil, clock.Synced
	Net       func() (Net, string) // the reachability mark and banner word; nil: none
	Now       func() time.Time     // if nil, time.Now
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
		Addr:        s.address(),
		FreeBytes:   stats.FreeBytes,
		ClockSynced: s.cfg.Synced(),
	}
	if s.cfg.SetupCode != nil {
		st.SetupCode = s.cfg.SetupCode()
	}
	if s.cfg.Net != nil {
		st.Net, st.NetTrouble = s.cfg.Net()
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
	if failing && !strings.Contains(stats.LastError, store.ErrFull.Error()) {
		st.StoreError = stats.LastError
	}
	st.DiskFull = stats.Full == store.FullDisk || (stats.FreeBytes >= 0 && stats.FreeBytes < store.DefaultMinFree)
	st.QuotaFull = stats.Full == store.FullQuota || (s.cfg.Quota > 0 && stats.Bytes >= s.cfg.Quota)
	return st
}

// address is the bottom line: the inbox's address when the LAN listener
// is on (the README tells the owner to read it there), else the MMSC's.
func (s *Source) address() string {
	if s.cfg.Inbox != "" {
		return netaddr.LAN(s.cfg.Inbox)
	}
	return netaddr.LAN(s.cfg.Listen)
}

// lastMessage shows a proven sender by its phone's name and a claimed
// one by the claimed address, marked claimed on the line below it (the
// sender's line has no room for a mark after a long number). Free text
// an older version stored as a sender is "unknown sender"
// (store.Sender.Shown).
func lastMessage(m store.Meta) *Message {
	who, claimed := m.Sender.Shown()
	return &Message{Sender: who, Claimed: claimed, Subject: m.Subject, Received: m.Received, TimeOK: m.ClockSynced}
}
