package portmap

import (
	"fmt"
	"net/netip"
)

// NAT says what the router's external address means for phones on the
// internet.
type NAT int

const (
	NATUnknown   NAT = iota // no router answered
	NATPublic               // a public address: phones can reach the mapping
	NATCarrier              // carrier-grade NAT: the provider shares the address (100.64.0.0/10)
	NATDouble               // the router's own address is private: another NAT is in front of it
	NATNoAddress            // the router says it has no public address to map (miniupnpd does so behind a NAT)
)

// sharedSpace is the address block that providers number the customers
// behind their carrier-grade NAT from (RFC 6598).
var sharedSpace = netip.MustParsePrefix("100.64.0.0/10")

// Classify says what an external address reported by a router means; an
// invalid address is a router that reported none.
func Classify(ext netip.Addr) NAT {
	ext = ext.Unmap()
	switch {
	case !ext.IsValid() || ext.IsUnspecified():
		return NATNoAddress
	case sharedSpace.Contains(ext):
		return NATCarrier
	case ext.IsPrivate() || ext.IsLoopback() || ext.IsLinkLocalUnicast():
		return NATDouble
	}
	return NATPublic
}

func (n NAT) String() string {
	switch n {
	case NATPublic:
		return "public address"
	case NATCarrier:
		return "carrier-grade NAT"
	case NATDouble:
		return "double NAT"
	case NATNoAddress:
		return "no public address"
	}
	return "unknown"
}

// Advice is what the owner can do about n, in a sentence or two; empty
// when there is nothing to do. ext is the address the router reported.
func (n NAT) Advice(ext netip.Addr) string {
	switch n {
	case NATCarrier:
		return fmt.Sprintf("Carrier-grade NAT: your internet provider gives the router the shared address %s, "+
			"so phones cannot reach this box over IPv4 whatever the router forwards. "+
			"Ask the provider for a public IPv4 address (often called \"public IP\" or \"no CGNAT\"), or use IPv6.", ext)
	case NATDouble:
		return fmt.Sprintf("Double NAT: the router's own internet address %s is private, so another router "+
			"(often the provider's modem) is in front of it. Put that one in bridge mode, "+
			"or forward the MMSC port on it to this router too.", ext)
	case NATNoAddress:
		return "The router has no public IPv4 address to forward from: it is behind carrier-grade NAT " +
			"or another router. Ask the provider for a public IPv4 address, or use IPv6."
	}
	return ""
}
