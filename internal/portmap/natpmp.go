package portmap

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	natpmp "github.com/jackpal/go-nat-pmp"
)

// natpmpTimeout bounds one NAT-PMP request with its retransmissions
// (250 ms doubling, RFC 6886 §3.1). The RFC's full nine tries take 64 s;
// a router that has not answered in 6 s is retried later with back-off.
const natpmpTimeout = 6 * time.Second

// natpmpNetworkFailure is result code 3 (RFC 6886 §3.5): the router has
// no external address, as miniupnpd answers when its own is private.
const natpmpNetworkFailure = 3

// natpmpGateway maps the port by NAT-PMP (RFC 6886) at the default
// gateway. PCP servers (RFC 6887) answer NAT-PMP requests too: a
// version-0 request gets a version-0 answer (RFC 6887 Appendix A).
type natpmpGateway struct {
	cfg     Config
	c       *natpmp.Client
	router  netip.Addr
	local   netip.Addr
	extPort uint16
}

// findNATPMP asks the default gateway for its address: a router that
// speaks NAT-PMP answers, even if only to say it has none.
func findNATPMP(cfg Config) (*natpmpGateway, error) {
	router, err := defaultGateway4()
	if err != nil {
		return nil, fmt.Errorf("portmap: NAT-PMP: %w", err)
	}
	local, err := localAddrTo(router)
	if err != nil {
		return nil, fmt.Errorf("portmap: NAT-PMP: %w", err)
	}
	g := &natpmpGateway{cfg: cfg, c: natpmp.NewClientWithTimeout(router.AsSlice(), natpmpTimeout),
		router: router, local: local, extPort: cfg.ExternalPort}
	if _, err := g.external(); err != nil {
		return nil, err
	}
	return g, nil
}

// external is the router's external address; invalid, without error,
// when the router says it has none.
func (g *natpmpGateway) external() (netip.Addr, error) {
	r, err := g.c.GetExternalAddress()
	if natpmpCode(err) == natpmpNetworkFailure {
		return netip.Addr{}, nil
	}
	if err != nil {
		return netip.Addr{}, fmt.Errorf("portmap: NAT-PMP external address from %s: %w", g.router, err)
	}
	return netip.AddrFrom4(r.ExternalIPAddress), nil
}

// mapPort asks for the mapping (again, to renew it: RFC 6886 §3.3) and
// takes the port and lifetime the router grants, which may differ.
func (g *natpmpGateway) mapPort(ctx context.Context) (grant, error) {
	gr := grant{Status: Status{Method: "NAT-PMP", Router: g.router, ExternalPort: g.extPort,
		Internal: netip.AddrPortFrom(g.local, g.cfg.Port)}}
	if g.cfg.IPv6 {
		gr.PinholeNote = "NAT-PMP opens no IPv6 pinholes; that needs a router with UPnP IGD:2"
	}
	ext, err := g.external()
	if err != nil {
		return gr, err
	}
	gr.External, gr.NAT = ext, Classify(ext)
	r, err := g.c.AddPortMapping("tcp", int(g.cfg.Port), int(g.extPort), int(g.cfg.Lease/time.Second))
	if err != nil {
		return gr, fmt.Errorf("portmap: NAT-PMP mapping at %s: %w", g.router, err)
	}
	g.extPort, gr.ExternalPort = r.MappedExternalPort, r.MappedExternalPort
	gr.lease = time.Duration(r.PortMappingLifetimeInSeconds) * time.Second
	return gr, nil
}

// unmapPort deletes the mapping: lifetime 0 and external port 0 (RFC
// 6886 §3.4).
func (g *natpmpGateway) unmapPort(context.Context) error {
	if _, err := g.c.AddPortMapping("tcp", int(g.cfg.Port), 0, 0); err != nil {
		return fmt.Errorf("portmap: NAT-PMP delete at %s: %w", g.router, err)
	}
	return nil
}

// natpmpCode is the result code of a NAT-PMP answer that go-nat-pmp
// v1.0.2 turned into an error, which it words "Non-zero result code N"
// and does not type; 0 for any other error.
func natpmpCode(err error) int {
	var code int
	if err != nil {
		if _, e := fmt.Sscanf(err.Error(), "Non-zero result code %d", &code); e != nil || !strings.HasPrefix(err.Error(), "Non-zero") {
			return 0
		}
	}
	return code
}
