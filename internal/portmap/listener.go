package portmap

import (
	"fmt"
	"net"
	"net/netip"
)

// ListenerPort is the port of listener address a to map, refusing a
// listener bound to an address the router cannot forward to (loopback).
// Errors name the -portmap flag.
func ListenerPort(a net.Addr) (uint16, error) {
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return 0, fmt.Errorf("-portmap: listener %s: %w", a, err)
	}
	if ap.Addr().IsLoopback() {
		return 0, fmt.Errorf("-portmap: -listen %s serves this machine only; listen on :%d to have the router forward to it", a, ap.Port())
	}
	return ap.Port(), nil
}
