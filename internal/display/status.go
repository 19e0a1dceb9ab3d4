package display

import (
	"fmt"
	"image"
	"time"
)

// Panel is a supported screen geometry.
type Panel int

// Panels: the 0.96" and 1.3" modules are 128×64, the 0.91" strip 128×32.
const (
	Panel128x64 Panel = iota
	Panel128x32
)

// Size is the panel's width and height in pixels.
func (p Panel) Size() image.Point {
	if p == Panel128x32 {
		return image.Pt(128, 32)
	}
	return image.Pt(128, 64)
}

func (p Panel) String() string {
	s := p.Size()
	return fmt.Sprintf("%dx%d", s.X, s.Y)
}

// ParsePanel reads "128x64" or "128x32".
func ParsePanel(s string) (Panel, error) {
	switch s {
	case "", "128x64":
		return Panel128x64, nil
	case "128x32":
		return Panel128x32, nil
	}
	return 0, fmt.Errorf("%w: panel size %q (want 128x64 or 128x32)", ErrConfig, s)
}

// Status is everything the screen shows; Render draws it and nothing else.
type Status struct {
	Now time.Time // the time "how long ago" is measured from
	New int       // messages not yet seen

	Last *Message // the newest message; nil if there is none

	Modem *Modem // nil: no modem attached or it does not answer
	// ModemWanted says a modem is configured, so its absence is trouble
	// (the NO MODEM banner); without one the marks show a quiet "x".
	ModemWanted bool

	Addr        string // the inbox's address (-lan), else where phones send MMS: "192.168.1.20:8081"
	FreeBytes   int64  // free space for the store; negative if unknown
	DiskFull    bool   // the store refuses messages: the card's free-space floor
	QuotaFull   bool   // the store refuses messages: -quota
	StoreError  string // the store's last error, if it is failing now
	ClockSynced bool   // the system clock is NTP-synchronised
	SetupCode   string // the inbox's one-time setup code while no password is set

	Net        Net    // whether phones on the internet reach the MMSC (internal/reach)
	NetTrouble string // what keeps them out, for the banner: "CGNAT", "DOUBLE NAT", "NO PORT MAP", "UNREACHABLE"
}

// Net is the reachability mark: NET, NET? or NET!.
type Net int

const (
	NetOff     Net = iota // no mark: no port mapping, no self-test
	NetUnknown            // NET?: mapped, not yet confirmed by a phone
	NetOK                 // NET: a phone fetched the last self-test
	NetDown               // NET!: phones cannot reach the MMSC
)

// Message is what the screen shows of one message.
type Message struct {
	Sender   string    // the paired phone's name when proven, else the address
	Claimed  bool      // Sender is only what the message or the URL claims (store.Sender.Proven)
	Subject  string    // may be empty
	Received time.Time // arrival time
	TimeOK   bool      // Received was stamped by a synchronised clock
}

// Modem is the modem as the screen shows it.
type Modem struct {
	Registered bool // registered on a network (home or roaming)
	Signal     int  // bars 0–4; negative if unknown
	Outbox     int  // messages waiting to be sent
}

// trouble lists what the banner shows, most serious first.
func (s Status) trouble() []string {
	var t []string
	if s.SetupCode != "" { // first: the owner at the box needs it to set up the inbox
		t = append(t, "CODE "+s.SetupCode)
	}
	if s.StoreError != "" {
		t = append(t, "STORE FAILING")
	}
	if s.DiskFull {
		t = append(t, "DISK FULL")
	}
	if s.QuotaFull {
		t = append(t, "QUOTA FULL")
	}
	if s.Modem == nil && s.ModemWanted {
		t = append(t, "NO MODEM")
	}
	if s.NetTrouble != "" {
		t = append(t, s.NetTrouble)
	}
	return t
}

// ago says how long ago t was, in one short word: "now", "5m", "3h", "2d".
func ago(now time.Time, m *Message) string {
	d := now.Sub(m.Received)
	switch {
	case !m.TimeOK || d < -time.Minute:
		return "?"
	case d < time.Minute:
		return "now"
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	}
	return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
}
