// Package netaddr turns the address a listener is bound to into the
// address someone should use to reach it: a wildcard host ("", 0.0.0.0,
// ::) is no address anyone can dial.
package netaddr

import (
	"net"
)

// WithHost puts host in place of a listen address's wildcard host ("",
// 0.0.0.0 or ::); any other address is returned as it is.
func WithHost(addr, host string) string {
	h, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(h); h == "" || ip != nil && ip.IsUnspecified() {
		h = host
	}
	return net.JoinHostPort(h, port)
}

// Loopback is where the process reaches its own listener: a wildcard
// host becomes 127.0.0.1 (Go's wildcard listeners are dual-stack).
func Loopback(addr string) string { return WithHost(addr, "127.0.0.1") }

// LAN is where a phone on the LAN should post: the listen address,
// with a wildcard host replaced by this machine's first private IPv4
// address (then any non-loopback one).
func LAN(listen string) string {
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

// Of is a listener's address, "" without one (nil).
func Of(l net.Listener) string {
	if l == nil {
		return ""
	}
	return l.Addr().String()
}
