package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/homemmsc/homemmsc/internal/deliver"
	"github.com/homemmsc/homemmsc/internal/dyndns"
	"github.com/homemmsc/homemmsc/internal/flagvalue"
	"github.com/homemmsc/homemmsc/internal/phones"
	"github.com/homemmsc/homemmsc/internal/portmap"
	"github.com/homemmsc/homemmsc/internal/reach"
)

// reachOptions are the flags of port mapping, dynamic DNS and the
// automatic self-test (issue 18): all off unless asked for.
type reachOptions struct {
	portmap        string // off, auto, upnp, natpmp
	lease          time.Duration
	port           uint // asked for on the router; 0 = the MMSC port
	ipv6           bool
	dyndnsSpec     string
	dns            *dyndns.Service // parsed -dyndns
	selfTestPhones string
	outsideURL     string // -public-ip-check
}

// register declares the flags on fs.
func (r *reachOptions) register(fs *flag.FlagSet) {
	r.portmap = "off"
	fs.Var(flagvalue.Enum{P: &r.portmap, Words: []string{"off", portmap.Auto, portmap.UPnP, portmap.NATPMP}}, "portmap",
		"ask the router to forward the MMSC port: auto (UPnP IGD, then NAT-PMP/PCP), upnp, natpmp, or off (forward it by hand)")
	fs.DurationVar(&r.lease, "portmap-lease", portmap.DefaultLease, "lease asked for the port mapping; renewed at half")
	fs.UintVar(&r.port, "portmap-port", 0, "port asked for on the router (0 = the MMSC listener's port)")
	fs.BoolVar(&r.ipv6, "portmap-ipv6", true, "with -portmap, also open an IPv6 pinhole for the MMSC port (UPnP IGD:2)")
	fs.StringVar(&r.dyndnsSpec, "dyndns", "", "keep a DNS name on the public address: dyndns2:URL or duckdns:URL, or @file holding it (needs -portmap)")
	fs.Var(flagvalue.BaseURL{P: &r.outsideURL}, "public-ip-check",
		"a URL that answers the caller's address as plain text, asked after each change of the router's address to spot a NAT in front of it (empty = none: no outside service is asked)")
	fs.StringVar(&r.selfTestPhones, "self-test-phones", "", "paired phones (names, comma-separated) that allow an automatic self-test after each change of address or mapping")
}

// load checks the flags together and reads -dyndns.
func (r *reachOptions) load() error {
	if r.port > 65535 {
		return fmt.Errorf("-portmap-port %d: not a port", r.port)
	}
	if r.dyndnsSpec == "" {
		return nil
	}
	svc, err := flagvalue.Load("dyndns", r.dyndnsSpec, dyndns.Parse, dyndns.ReadSetting)
	if err != nil {
		return err
	}
	r.dns = &svc
	return nil
}

// reachDeps is what reachability needs from the rest of the appliance.
type reachDeps struct {
	listen    net.Addr // the MMSC listener
	publicURL string   // -public-url
	delivery  func() *deliver.Deliverer
	phones    *phones.Registry
	wait      time.Duration // -self-test-wait
}

// newReach builds port mapping, dynamic DNS and the automatic self-test
// as the flags ask; nil when all are off.
func newReach(o reachOptions, d reachDeps, log *slog.Logger) (*reach.Reach, error) {
	if o.portmap == "off" {
		if o.dns != nil {
			return nil, errors.New("-dyndns needs -portmap: the public address comes from the router")
		}
		return nil, nil
	}
	port, err := portmap.ListenerPort(d.listen)
	if err != nil {
		return nil, err
	}
	cfg := reach.Config{
		Portmap: &portmap.Config{Port: port, ExternalPort: uint16(o.port), Protocol: o.portmap, Lease: o.lease,
			IPv6: o.ipv6, Logger: log},
		PublicURL: d.publicURL, Logger: log,
		OnPublicURL: func(u string) {
			if dlv := d.delivery(); dlv != nil && u != "" {
				dlv.SetPublicURL(u)
			}
		},
	}
	if o.outsideURL != "" {
		cfg.OutsideCheck = reach.OutsideAddr(&http.Client{}, o.outsideURL)
	}
	if o.dns != nil {
		cfg.DNS = &dyndns.Config{Service: *o.dns, UserAgent: "homemmsc - appliance - " + version, Logger: log}
	}
	if names := flagvalue.Names(o.selfTestPhones); len(names) > 0 {
		cfg.SelfTest = func(ctx context.Context) (reach.Check, bool) {
			dlv := d.delivery()
			if dlv == nil { // delivery off: nothing to test with
				return reach.Check{}, false
			}
			ok, text := dlv.SelfTestPhones(ctx, d.phones, names, d.wait)
			return reach.Check{Reachable: ok, Text: text}, true
		}
	}
	return reach.New(cfg)
}
