package reach

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/homemmsc/homemmsc/internal/dyndns"
	"github.com/homemmsc/homemmsc/internal/portmap"
)

// Status is where reachability stands, for the status page, /healthz
// and the screen.
type Status struct {
	PublicURL string          // where phones reach the MMSC; "" unknown
	Fixed     bool            // PublicURL is -public-url, not found
	Mapping   *portmap.Status // nil: no port mapping
	DNS       *dyndns.Status  // nil: no dynamic DNS
	IPv6      netip.Addr      // this host's global IPv6 address; invalid: none
	SelfTests bool            // automatic self-tests are on
	Check     Check           // the last automatic self-test; zero Time: none yet

	OutsideCheck bool       // an outside check is configured
	Outside      netip.Addr // the address the internet sees; invalid: not known (yet)
	OutsideErr   string     // why the last outside check failed
}

// behindAnotherNAT says the outside check sees another address than the
// router reports: a NAT in front of the router.
func (s Status) behindAnotherNAT() bool {
	return s.Mapping != nil && s.Mapping.External.IsValid() && s.Outside.IsValid() && s.Outside != s.Mapping.External.Unmap()
}

// Verdict is whether phones on the internet reach the MMSC, as far as
// the appliance can tell.
type Verdict int

const (
	Off         Verdict = iota // nothing to tell: no mapping, no self-test
	Unknown                    // mapped, not yet confirmed by a phone
	Reachable                  // the last self-test's phone fetched its message
	Unreachable                // a NAT, a failed mapping or a failed self-test keeps phones out
)

func (v Verdict) String() string {
	return [...]string{"off", "not confirmed", "reachable", "unreachable"}[v]
}

// Verdict weighs the mapping and the last self-test. A self-test is
// the proof either way; without one, a NAT or a failed mapping is a
// no.
func (s Status) Verdict() Verdict {
	if !s.Check.Time.IsZero() && (s.Mapping == nil || !s.Check.Time.Before(s.Mapping.Since)) {
		if s.Check.Reachable {
			return Reachable
		}
		return Unreachable
	}
	if s.Mapping == nil {
		return Off
	}
	if s.Mapping.Problem() != "" || s.behindAnotherNAT() {
		return Unreachable
	}
	return Unknown
}

// Trouble is the screen's banner word for what keeps phones out, or "".
func (s Status) Trouble() string {
	if s.Mapping != nil {
		switch s.Mapping.NAT {
		case portmap.NATCarrier, portmap.NATNoAddress:
			return "CGNAT"
		case portmap.NATDouble:
			return "DOUBLE NAT"
		}
		if s.Mapping.State == portmap.Failed {
			return "NO PORT MAP"
		}
	}
	if s.behindAnotherNAT() {
		return "DOUBLE NAT"
	}
	if s.Verdict() == Unreachable {
		return "UNREACHABLE"
	}
	return ""
}

// Problems are what the owner should know, in sentences: for /healthz
// (as warnings: the MMSC itself works) and the log.
func (s Status) Problems() []string {
	var p []string
	if s.Mapping != nil {
		if t := s.Mapping.Problem(); t != "" {
			p = append(p, t)
		}
	}
	if s.behindAnotherNAT() {
		p = append(p, s.outsideText())
	}
	if s.DNS != nil && (s.DNS.State == dyndns.Stopped || s.DNS.State == dyndns.Retrying) {
		p = append(p, fmt.Sprintf("Dynamic DNS %s not updated: %s", s.DNS.Name, s.DNS.Err))
	}
	if !s.Check.Time.IsZero() && !s.Check.Reachable {
		p = append(p, "The last reachability self-test failed: "+s.Check.Text)
	}
	return p
}

// Row is one line of the status page.
type Row struct {
	Label, Value string
	Bad          bool
}

// Rows are the status page's lines about reachability.
func (s Status) Rows() []Row {
	rows := []Row{s.urlRow()}
	if s.Mapping == nil {
		rows = append(rows, Row{Label: "Port mapping", Value: "off (forward the MMSC port on the router by hand, or set -portmap)"})
	} else {
		rows = append(rows, mappingRows(*s.Mapping)...)
	}
	rows = append(rows, s.ipv6Row())
	if s.DNS != nil {
		rows = append(rows, dnsRow(*s.DNS))
	}
	if s.OutsideCheck {
		rows = append(rows, Row{Label: "Outside check", Value: s.outsideText(), Bad: s.behindAnotherNAT() || s.OutsideErr != ""})
	}
	return append(rows, s.checkRow())
}

// outsideText says what the outside check saw, against the router.
func (s Status) outsideText() string {
	switch {
	case s.OutsideErr != "":
		return "failed: " + s.OutsideErr
	case !s.Outside.IsValid():
		return "not run yet: it runs once the router reports its address"
	case s.behindAnotherNAT():
		return fmt.Sprintf("Double NAT: the internet sees this home as %s, but the router says its address is %s, so another NAT "+
			"(the provider's, or a modem in front of the router) is in between and phones cannot reach the mapping. "+
			"Put that device in bridge mode, or ask the provider for a public IPv4 address.", s.Outside, s.Mapping.External)
	case s.Mapping == nil || !s.Mapping.External.IsValid():
		return "the internet sees this home as " + s.Outside.String() + "; the router reports no address of its own"
	}
	return "the internet sees this home as " + s.Outside.String() + ", as the router says"
}

func (s Status) urlRow() Row {
	switch {
	case s.PublicURL == "" && s.Mapping == nil:
		return Row{Label: "Public URL", Value: "unknown: set -public-url, or -portmap to ask the router"}
	case s.PublicURL == "":
		return Row{Label: "Public URL", Value: "none: phones cannot reach the MMSC until the router maps the port from a public address", Bad: true}
	case s.Fixed:
		return Row{Label: "Public URL", Value: s.PublicURL + " (-public-url)"}
	}
	return Row{Label: "Public URL", Value: s.PublicURL}
}

func mappingRows(m portmap.Status) []Row {
	when := func(t time.Time) string { return t.Local().Format("15:04:05") }
	var rows []Row
	switch m.State {
	case portmap.Starting:
		rows = append(rows, Row{Label: "Port mapping", Value: "asking the router"})
	case portmap.Mapped:
		rows = append(rows, Row{Label: "Port mapping", Value: fmt.Sprintf("%s at %s: port %d → %s, renewed %s, lease until %s",
			m.Method, m.Router, m.ExternalPort, m.Internal, when(m.Renewed), when(m.Expires))})
	case portmap.Failed:
		rows = append(rows, Row{Label: "Port mapping", Value: "failed since " + when(m.Since) + ": " + m.Err, Bad: true})
	case portmap.Removed:
		rows = append(rows, Row{Label: "Port mapping", Value: "removed (stopping)"})
	}
	if m.Router.IsValid() {
		v := m.NAT.String()
		if m.External.IsValid() {
			v = m.External.String() + " (" + v + ")"
		}
		if a := m.NAT.Advice(m.External); a != "" {
			v += ". " + a
		}
		rows = append(rows, Row{Label: "Public address", Value: v, Bad: m.NAT != portmap.NATPublic})
	}
	return rows
}

func (s Status) ipv6Row() Row {
	if !s.IPv6.IsValid() {
		return Row{Label: "IPv6", Value: "no global address"}
	}
	v := s.IPv6.String()
	switch {
	case s.Mapping == nil:
	case s.Mapping.Pinhole.IsValid():
		v += fmt.Sprintf(", pinhole open for port %d", s.Mapping.Pinhole.Port())
	case s.Mapping.PinholeNote != "":
		v += ": " + s.Mapping.PinholeNote
	}
	return Row{Label: "IPv6", Value: v}
}

func dnsRow(d dyndns.Status) Row {
	r := Row{Label: "Dynamic DNS", Value: d.Name + ": " + d.State.String()}
	switch d.State {
	case dyndns.Current:
		r.Value += fmt.Sprintf(" (%s, since %s)", addrs(d.Addr, d.Addr6), d.Updated.Local().Format("15:04:05"))
	case dyndns.Retrying:
		r.Value += " at " + d.Next.Local().Format("15:04:05") + ": " + d.Err
		r.Bad = true
	case dyndns.Stopped:
		r.Value += ": " + d.Err + "; fix -dyndns and restart"
		r.Bad = true
	}
	return r
}

func addrs(a, b netip.Addr) string {
	switch {
	case a.IsValid() && b.IsValid():
		return a.String() + ", " + b.String()
	case a.IsValid():
		return a.String()
	}
	return b.String()
}

func (s Status) checkRow() Row {
	switch {
	case !s.SelfTests:
		return Row{Label: "Self-test", Value: "no automatic self-test (-self-test-phones names the phones that allow one)"}
	case s.Check.Time.IsZero():
		return Row{Label: "Self-test", Value: "not run yet: it runs after each change of address or mapping"}
	}
	return Row{Label: "Self-test", Value: s.Check.Time.Local().Format("2006-01-02 15:04") + ": " + s.Check.Text, Bad: !s.Check.Reachable}
}
