package portmap

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/huin/goupnp"
	"github.com/huin/goupnp/dcps/internetgateway2"
	"github.com/huin/goupnp/soap"
)

// protoTCP is TCP's IP protocol number, as WANIPv6FirewallControl names
// protocols.
const protoTCP = 6

// pinholeNoSuchEntry is the router's answer for a UniqueID it does not
// know (WANIPv6FirewallControl:1 §2.5.4: error 704).
const pinholeNoSuchEntry = 704

// pinhole keeps an inbound IPv6 pinhole for the MMSC port open in the
// router's firewall (IGD:2 WANIPv6FirewallControl:1). There is no NAT
// in IPv6: the pinhole lets connections to this host's own global
// address through.
type pinhole struct {
	cfg    Config
	fw     *internetgateway2.WANIPv6FirewallControl1 // nil: none to be had, note says why
	note   string
	addr   netip.Addr // this host's global IPv6 address
	id     uint16     // the router's UniqueID for the open pinhole
	isOpen bool
}

// newPinhole prepares the pinhole of device r. The router lets only the
// host itself open a pinhole to its address: it compares InternalClient
// with the address the request came from (WANIPv6FirewallControl:1
// §2.5.3), so the requests go over IPv6, from the global address, to
// the IPv6 default router (the same box) at the port of the service's
// IPv4 control URL.
func newPinhole(cfg Config, r goupnp.MaybeRootDevice, local netip.Addr) pinhole {
	p := pinhole{cfg: cfg}
	c, _ := internetgateway2.NewWANIPv6FirewallControl1ClientsFromRootDevice(r.Root, r.Location)
	if len(c) == 0 {
		p.note = "the router offers no IPv6 firewall control (UPnP IGD:2 WANIPv6FirewallControl)"
		return p
	}
	addr, err := globalIPv6(interfaceOf(local))
	if err != nil {
		p.note = "this host has no global IPv6 address"
		return p
	}
	router, err := defaultGateway6()
	if err != nil {
		p.note = "this host has no IPv6 default route"
		return p
	}
	fw := *c[0]
	fw.SOAPClient = viaIPv6(fw.SOAPClient, router, addr)
	p.fw, p.addr = &fw, addr
	return p
}

// viaIPv6 is a SOAP client for the same control URL at the router's
// IPv6 address, sending from local.
func viaIPv6(c *soap.SOAPClient, router, local netip.Addr) *soap.SOAPClient {
	u := c.EndpointURL
	port := u.Port()
	if port == "" {
		port = "80"
	}
	u.Host = net.JoinHostPort(router.String(), port)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: local.AsSlice()}, Timeout: callTimeout}
	return &soap.SOAPClient{EndpointURL: u, HTTPClient: http.Client{Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}}
}

// interfaceOf is the name of the interface that holds addr, or "".
func interfaceOf(addr netip.Addr) string {
	ifs, _ := net.Interfaces()
	for _, ifc := range ifs {
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.Equal(addr.AsSlice()) {
				return ifc.Name
			}
		}
	}
	return ""
}

// open opens the pinhole or renews its lease; it returns the address
// and port opened, or a note saying why there is none.
func (p *pinhole) open(ctx context.Context) (netip.AddrPort, string) {
	if p.fw == nil {
		return netip.AddrPort{}, p.note
	}
	lease := uint32(min(p.cfg.Lease, maxPinholeLease) / time.Second)
	if p.isOpen {
		err := p.fw.UpdatePinholeCtx(ctx, p.id, lease)
		switch {
		case err == nil:
			return netip.AddrPortFrom(p.addr, p.cfg.Port), ""
		case ctx.Err() != nil:
			// Cut short: still open as far as we know, close deletes it.
			return netip.AddrPort{}, "UpdatePinhole: " + err.Error()
		}
		// The router lost it (it restarted: 704 NoSuchEntry, or
		// miniupnpd's 501): ask again. A router that still has it
		// extends it and answers the same UniqueID (§2.5.2).
	}
	enabled, inbound, err := p.fw.GetFirewallStatusCtx(ctx)
	switch {
	case err != nil:
		return netip.AddrPort{}, "GetFirewallStatus: " + upnpError(err).Error()
	case !enabled:
		return netip.AddrPort{}, "the router's IPv6 firewall is off: the port is open without a pinhole"
	case !inbound:
		return netip.AddrPort{}, "the router does not allow inbound IPv6 pinholes; allow them in its settings"
	}
	id, err := p.fw.AddPinholeCtx(ctx, "", 0, p.addr.String(), p.cfg.Port, protoTCP, lease)
	if err != nil {
		return netip.AddrPort{}, "AddPinhole: " + upnpError(err).Error()
	}
	p.id, p.isOpen = id, true
	return netip.AddrPortFrom(p.addr, p.cfg.Port), ""
}

// close deletes the pinhole, if one is open.
func (p *pinhole) close(ctx context.Context) error {
	if !p.isOpen {
		return nil
	}
	p.isOpen = false
	err := p.fw.DeletePinholeCtx(ctx, p.id)
	if err != nil && upnpCode(err) != pinholeNoSuchEntry {
		return fmt.Errorf("portmap: DeletePinhole: %w", upnpError(err))
	}
	return nil
}

// GlobalIPv6 is this host's global IPv6 address, where phones reach it
// over IPv6 (through a pinhole, or a router that does not filter): not
// a temporary (privacy) address, a deprecated one or a unique local one.
func GlobalIPv6() (netip.Addr, error) { return globalIPv6("") }
