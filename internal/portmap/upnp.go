package portmap

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/huin/goupnp"
	"github.com/huin/goupnp/dcps/internetgateway2"
	"github.com/huin/goupnp/soap"
)

// The device types searched for: an IGD:2 answers a search for IGD:1
// too (UPnP Device Architecture 1.1 §1.3.2), but not every one does.
const (
	urnIGD1 = "urn:schemas-upnp-org:device:InternetGatewayDevice:1"
	urnIGD2 = "urn:schemas-upnp-org:device:InternetGatewayDevice:2"
)

// UPnP error codes that change what is asked (IGD:1 WANIPConnection:1
// §2.4.16, IGD:2 WANIPConnection:2 §2.5.16).
const (
	upnpOnlyPermanentLeases = 725
	upnpNoSuchEntry         = 714
)

// wanConnection is what WANIPConnection:1, WANIPConnection:2 and
// WANPPPConnection:1 have in common, as goupnp generates them.
type wanConnection interface {
	GetExternalIPAddressCtx(ctx context.Context) (string, error)
	AddPortMappingCtx(ctx context.Context, remoteHost string, externalPort uint16, protocol string,
		internalPort uint16, internalClient string, enabled bool, description string, lease uint32) error
	DeletePortMappingCtx(ctx context.Context, remoteHost string, externalPort uint16, protocol string) error
}

// upnpGateway maps the port through a router's WAN connection service.
type upnpGateway struct {
	cfg     Config
	method  string
	conn    wanConnection
	v2      *internetgateway2.WANIPConnection2 // set for IGD:2: AddAnyPortMapping
	router  netip.Addr
	local   netip.Addr // this host's LAN address, the InternalClient
	extPort uint16     // the port granted; Config.ExternalPort until then
	forever bool       // the router takes only permanent leases (IGD:1, error 725)
	pinhole pinhole
}

// findUPnP searches the LAN for an Internet Gateway Device with a WAN
// connection service (SSDP M-SEARCH, then the device's description).
func findUPnP(ctx context.Context, cfg Config) (*upnpGateway, error) {
	roots, err := discoverIGDs(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range roots {
		if gw := newUPnPGateway(cfg, r); gw != nil {
			return gw, nil
		}
	}
	return nil, errors.New("portmap: no UPnP Internet Gateway Device answered")
}

// discoverIGDs searches for IGD:2 and IGD:1 at once, IGD:2 answers first.
func discoverIGDs(ctx context.Context) ([]goupnp.MaybeRootDevice, error) {
	var wg sync.WaitGroup
	var found [2][]goupnp.MaybeRootDevice
	var errs [2]error
	for i, urn := range []string{urnIGD2, urnIGD1} {
		wg.Go(func() { found[i], errs[i] = goupnp.DiscoverDevicesCtx(ctx, urn) })
	}
	wg.Wait()
	roots := append(found[0], found[1]...)
	if len(roots) == 0 {
		if err := errors.Join(errs[:]...); err != nil {
			return nil, fmt.Errorf("portmap: UPnP search: %w", err)
		}
	}
	return roots, nil
}

// newUPnPGateway picks the best WAN connection service of a discovered
// device, or returns nil if it has none (or could not be read).
func newUPnPGateway(cfg Config, r goupnp.MaybeRootDevice) *upnpGateway {
	if r.Err != nil || r.Root == nil {
		return nil
	}
	router, err := netip.ParseAddr(r.Location.Hostname())
	if err != nil {
		return nil
	}
	local, ok := netip.AddrFromSlice(r.LocalAddr)
	if !ok {
		if local, err = localAddrTo(router); err != nil {
			return nil
		}
	}
	gw := &upnpGateway{cfg: cfg, router: router, local: local.Unmap(), extPort: cfg.ExternalPort}
	if c, _ := internetgateway2.NewWANIPConnection2ClientsFromRootDevice(r.Root, r.Location); len(c) > 0 {
		gw.method, gw.conn, gw.v2 = "UPnP IGD:2 WANIPConnection:2", c[0], c[0]
		noKeepAlive(c[0].SOAPClient)
	} else if c, _ := internetgateway2.NewWANIPConnection1ClientsFromRootDevice(r.Root, r.Location); len(c) > 0 {
		gw.method, gw.conn = "UPnP IGD WANIPConnection:1", c[0]
		noKeepAlive(c[0].SOAPClient)
	} else if c, _ := internetgateway2.NewWANPPPConnection1ClientsFromRootDevice(r.Root, r.Location); len(c) > 0 {
		gw.method, gw.conn = "UPnP IGD WANPPPConnection:1", c[0]
		noKeepAlive(c[0].SOAPClient)
	} else {
		return nil
	}
	if cfg.IPv6 {
		gw.pinhole = newPinhole(cfg, r, gw.local)
	}
	return gw
}

// noKeepAlive makes c open a connection per request: a renewal comes
// minutes after the last one, when a kept connection may be one the
// router dropped (it restarted), and a POST on it fails with EOF rather
// than being retried.
func noKeepAlive(c *soap.SOAPClient) {
	c.HTTPClient = http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
}

// localAddrTo is the address this host sends from to reach addr.
func localAddrTo(addr netip.Addr) (netip.Addr, error) {
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, 9)))
	if err != nil {
		return netip.Addr{}, err
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap(), nil
}

func (g *upnpGateway) status() Status {
	return Status{Method: g.method, Router: g.router, ExternalPort: g.extPort,
		Internal: netip.AddrPortFrom(g.local, g.cfg.Port)}
}

// mapPort asks for the router's address, then for the mapping (IGD:2:
// AddAnyPortMapping, which offers another port when the one asked for
// is taken; IGD:1: AddPortMapping, again without a lease if the router
// takes only permanent ones), then for the IPv6 pinhole.
func (g *upnpGateway) mapPort(ctx context.Context) (grant, error) {
	gr := grant{Status: g.status(), lease: g.cfg.Lease}
	ext, err := g.conn.GetExternalIPAddressCtx(ctx)
	if err != nil {
		return gr, fmt.Errorf("portmap: %s GetExternalIPAddress: %w", g.method, err)
	}
	gr.External, _ = netip.ParseAddr(ext) // "" when the router has none
	gr.NAT = Classify(gr.External)
	if err := g.add(ctx); err != nil {
		return gr, err
	}
	gr.ExternalPort = g.extPort
	if g.cfg.IPv6 {
		gr.Pinhole, gr.PinholeNote = g.pinhole.open(ctx)
	} else {
		gr.Pinhole, gr.PinholeNote = netip.AddrPort{}, ""
	}
	return gr, nil
}

// add makes or renews the IPv4 mapping.
func (g *upnpGateway) add(ctx context.Context) error {
	lease := uint32(g.cfg.Lease / time.Second)
	if g.forever {
		lease = 0
	}
	local := g.local.String()
	if g.v2 != nil {
		port, err := g.v2.AddAnyPortMappingCtx(ctx, "", g.extPort, "TCP", g.cfg.Port, local, true, g.cfg.Description, lease)
		if err != nil {
			return fmt.Errorf("portmap: %s AddAnyPortMapping: %w", g.method, upnpError(err))
		}
		g.extPort = port
		return nil
	}
	err := g.conn.AddPortMappingCtx(ctx, "", g.extPort, "TCP", g.cfg.Port, local, true, g.cfg.Description, lease)
	if upnpCode(err) == upnpOnlyPermanentLeases && !g.forever {
		g.forever = true
		return g.add(ctx)
	}
	if err != nil {
		return fmt.Errorf("portmap: %s AddPortMapping: %w", g.method, upnpError(err))
	}
	return nil
}

// unmapPort deletes the mapping and the pinhole.
func (g *upnpGateway) unmapPort(ctx context.Context) error {
	err := g.conn.DeletePortMappingCtx(ctx, "", g.extPort, "TCP")
	if upnpCode(err) == upnpNoSuchEntry {
		err = nil // gone already (the router restarted)
	}
	if err != nil {
		err = fmt.Errorf("portmap: %s DeletePortMapping: %w", g.method, upnpError(err))
	}
	return errors.Join(err, g.pinhole.close(ctx))
}

// upnpCode is the UPnP error code of a SOAP fault, or 0.
func upnpCode(err error) int {
	var f *soap.SOAPFaultError
	if errors.As(err, &f) {
		return f.Detail.UPnPError.Errorcode
	}
	return 0
}

// UPnPError is a router's refusal: the UPnP error code and description
// of its SOAP fault (e.g. 718 ConflictInMappingEntry, 606 Action not
// authorized).
type UPnPError struct {
	Code        int
	Description string
}

func (e *UPnPError) Error() string {
	return fmt.Sprintf("UPnP error %d %s", e.Code, e.Description)
}

// upnpError turns goupnp's SOAP fault into a UPnPError, which reads
// better in a log than the fault's raw XML.
func upnpError(err error) error {
	var f *soap.SOAPFaultError
	if errors.As(err, &f) && f.Detail.UPnPError.Errorcode != 0 {
		return &UPnPError{Code: f.Detail.UPnPError.Errorcode, Description: f.Detail.UPnPError.ErrorDescription}
	}
	return err
}
