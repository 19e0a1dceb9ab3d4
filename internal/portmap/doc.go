// Package portmap asks the home router to forward the MMSC port to this
// host, so that phones on the internet reach the appliance without the
// owner configuring a port forward, and tells what the router's answer
// means: the public address phones can use, or the carrier-grade NAT or
// double NAT that keeps them out.
//
// A Mapper maps one TCP port (the MMSC listener's, never the LAN
// listener's) for as long as Run runs. It asks for a lease (an hour by
// default), renews it at half the lease the router granted (at least
// every 5 minutes: each renewal rereads the external address, so a new
// one is noticed soon), finds the
// router again when a renewal fails (the router restarted, or the Pi
// moved), retries with back-off (30 s doubling to 15 min) while no
// router maps it (with Auto, a router whose UPnP refuses is asked by
// NAT-PMP too), and removes the mapping when Run's context ends.
// Status, and the Config.OnChange callback, say where it stands.
//
// # UPnP IGD
//
// An SSDP M-SEARCH (HTTP over UDP multicast to 239.255.255.250:1900)
// for InternetGatewayDevice:2 and :1 finds the router; its device
// description lists its services. Of them the Mapper uses, in order:
// WANIPConnection:2 (IGD:2; AddAnyPortMapping, which offers another
// external port when the one asked for is taken), WANIPConnection:1 and
// WANPPPConnection:1 (IGD:1; AddPortMapping, asked again without a lease
// when the router answers 725 OnlyPermanentLeasesSupported). The
// external address is GetExternalIPAddress's answer; an empty answer is
// a router without a public address. DeletePortMapping removes the
// mapping. The library is github.com/huin/goupnp (SSDP, descriptions,
// SOAP and the generated IGD:2 clients).
//
// # IPv6 pinhole
//
// There is no NAT in IPv6: a phone reaches this host's own global
// address, if the router's firewall lets it. With Config.IPv6, a router
// that offers WANIPv6FirewallControl:1 (IGD:2) is asked, after the IPv4
// mapping, for an inbound pinhole to this host's global address
// (GlobalIPv6: not a temporary, deprecated or unique-local one) and the
// MMSC port (AddPinhole; UpdatePinhole renews it, AddPinhole again when
// the router lost it; DeletePinhole removes it). The router checks that InternalClient is the address the request
// came from, so those requests go over IPv6 from that address, to the
// IPv6 default router, at the control URL's port. A router whose IPv6
// firewall is off needs no pinhole; the status's PinholeNote says so,
// or why there is none.
//
// # NAT-PMP and PCP
//
// NAT-PMP (RFC 6886) is a UDP exchange with the default gateway, port
// 5351: the external address (opcode 0), a TCP mapping with a lifetime
// (opcode 2; lifetime 0 deletes it). The router may grant another port
// and a shorter lifetime; the Mapper takes both. PCP (RFC 6887), its
// successor, shares the port, and a PCP server answers a version-0
// request in NAT-PMP (RFC 6887 Appendix A), so PCP routers are served
// by the same requests. The library is github.com/jackpal/go-nat-pmp.
// NAT-PMP cannot open IPv6 pinholes; PCP's own MAP requests, which can,
// are not sent.
//
// # What the address means
//
// Classify reads the router's external address: in 100.64.0.0/10 (RFC
// 6598 shared address space) it is carrier-grade NAT, the provider's
// NAT in front of the router; in a private range (RFC 1918) it is a
// second router in front (double NAT); none at all (miniupnpd, for one,
// reports none and maps nothing when its own address is private or
// shared) is one of the two. In each case phones cannot reach the
// mapping over IPv4, and Status.Problem says so with what the owner can
// do. No outside service is asked for the address.
//
// # Specs
//
//   - UPnP Device Architecture 1.1 §1.3 (SSDP search), §2 (description),
//     §3 (control, SOAP)
//   - UPnP IGD:1 WANIPConnection:1 §2.4.16–18, WANPPPConnection:1;
//     IGD:2 WANIPConnection:2 §2.5.16–18 (AddAnyPortMapping, leases of
//     1–604800 s); WANIPv6FirewallControl:1 §2.5 (AddPinhole,
//     UpdatePinhole, DeletePinhole, leases of 1–86400 s)
//   - RFC 6886 NAT-PMP: §3.2 external address, §3.3 mappings and
//     renewal at half the lifetime, §3.4 deletion, §3.5 result codes
//   - RFC 6887 PCP, Appendix A (NAT-PMP compatibility)
//   - RFC 6598 (100.64.0.0/10), RFC 1918 (private IPv4)
package portmap
