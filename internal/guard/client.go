package guard

import (
	"net"
	"net/netip"
)

// ClientKey is the client an address belongs to: the IPv4 address, or the
// /64 of an IPv6 one, as text. addr is "host:port" (RemoteAddr) or a bare
// host; what does not parse is its own client.
func ClientKey(addr string) string {
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is4() {
		return ip.String()
	}
	p, _ := ip.Prefix(64) // cannot fail for a valid IPv6 address
	return p.String()
}
