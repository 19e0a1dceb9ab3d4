package portmap

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"
)

// The kernel's routing and address tables, as Linux shows them in /proc
// (per network namespace: the process's own).
const (
	procRoute4 = "/proc/net/route"
	procRoute6 = "/proc/net/ipv6_route"
	procAddrs6 = "/proc/net/if_inet6"
)

// errNoRoute is returned when the routing table has no default route.
var errNoRoute = errors.New("portmap: no default route")

// defaultGateway4 is the IPv4 default route's gateway: the router that
// NAT-PMP talks to (RFC 6886 §3: the client sends to its default gateway).
func defaultGateway4() (netip.Addr, error) {
	f, err := os.Open(procRoute4)
	if err != nil {
		return netip.Addr{}, err
	}
	defer f.Close()
	return parseRoute4(f)
}

// parseRoute4 reads /proc/net/route: a header line, then "Iface
// Destination Gateway Flags RefCnt Use Metric Mask ..." with addresses
// as hex in host (little-endian) byte order. Of the default routes
// (destination and mask 0, RTF_GATEWAY set) it takes the lowest metric.
func parseRoute4(r io.Reader) (netip.Addr, error) {
	const rtfGateway = 0x2
	best, bestMetric := netip.Addr{}, uint64(1<<63)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 8 || f[1] != "00000000" || f[7] != "00000000" {
			continue
		}
		flags, err1 := strconv.ParseUint(f[3], 16, 32)
		metric, err2 := strconv.ParseUint(f[6], 10, 32)
		gw, err3 := hex.DecodeString(f[2])
		if err1 != nil || err2 != nil || err3 != nil || len(gw) != 4 || flags&rtfGateway == 0 || metric >= bestMetric {
			continue
		}
		var a [4]byte
		binary.BigEndian.PutUint32(a[:], binary.LittleEndian.Uint32(gw))
		best, bestMetric = netip.AddrFrom4(a), metric
	}
	if !best.IsValid() {
		return best, errNoRoute
	}
	return best, sc.Err()
}

// defaultGateway6 is the IPv6 default route's next hop, with its zone
// (the interface) when it is link-local, as routers announce themselves.
func defaultGateway6() (netip.Addr, error) {
	f, err := os.Open(procRoute6)
	if err != nil {
		return netip.Addr{}, err
	}
	defer f.Close()
	return parseRoute6(f)
}

// parseRoute6 reads /proc/net/ipv6_route: "dest destlen src srclen
// nexthop metric refcnt use flags iface", addresses as 32 hex digits in
// network order, lengths and numbers in hex. Of the default routes
// (::/0 with a next hop) it takes the lowest metric.
func parseRoute6(r io.Reader) (netip.Addr, error) {
	best, bestMetric := netip.Addr{}, uint64(1<<63)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 10 || f[1] != "00" || strings.Trim(f[0], "0") != "" {
			continue
		}
		hop, ok := hexAddr6(f[4])
		metric, err := strconv.ParseUint(f[5], 16, 32)
		if !ok || err != nil || hop.IsUnspecified() || metric >= bestMetric {
			continue
		}
		if hop.IsLinkLocalUnicast() {
			hop = hop.WithZone(f[9])
		}
		best, bestMetric = hop, metric
	}
	if !best.IsValid() {
		return best, errNoRoute
	}
	return best, sc.Err()
}

// hexAddr6 reads an IPv6 address written as 32 hex digits.
func hexAddr6(s string) (netip.Addr, bool) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 16 {
		return netip.Addr{}, false
	}
	return netip.AddrFrom16([16]byte(b)), true
}

// Flags of an IPv6 address in /proc/net/if_inet6 (IFA_F_* in
// linux/if_addr.h; the file shows the low 8 bits).
const (
	ifaTemporary  = 0x01 // a privacy address (RFC 8981) that soon changes
	ifaDADFailed  = 0x08
	ifaDeprecated = 0x20
	ifaTentative  = 0x40
)

// globalIPv6 is the address phones can reach this host at over IPv6: a
// global unicast address of interface ifname ("" = any interface) that
// is not temporary, deprecated or still being checked for duplicates.
// Unique local addresses (fc00::/7) are left out: they are not routed
// on the internet.
func globalIPv6(ifname string) (netip.Addr, error) {
	f, err := os.Open(procAddrs6)
	if err != nil {
		return netip.Addr{}, err
	}
	defer f.Close()
	return parseAddrs6(f, ifname)
}

// errNoIPv6 is returned when the host has no global IPv6 address.
var errNoIPv6 = errors.New("portmap: no global IPv6 address")

// parseAddrs6 reads /proc/net/if_inet6: "addr ifindex prefixlen scope
// flags name", all hex but the name.
func parseAddrs6(r io.Reader, ifname string) (netip.Addr, error) {
	const bad = ifaTemporary | ifaDADFailed | ifaDeprecated | ifaTentative
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 6 || ifname != "" && f[5] != ifname {
			continue
		}
		a, ok := hexAddr6(f[0])
		flags, err := strconv.ParseUint(f[4], 16, 32)
		if ok && err == nil && flags&bad == 0 && a.IsGlobalUnicast() && !a.IsPrivate() {
			return a, nil
		}
	}
	if err := sc.Err(); err != nil {
		return netip.Addr{}, err
	}
	return netip.Addr{}, errNoIPv6
}
