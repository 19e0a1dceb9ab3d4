package portmap

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// Tables as Linux prints them, from the LAN namespace of routertest
// (default routes via 10.218.0.1 and fe80::1) with lines added around
// them.
const (
	route4 = `Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT
eth1	00000000	FE02DA0A	0003	0	0	600	00000000	0	0	0
eth0	00000000	0100DA0A	0003	0	0	100	00000000	0	0	0
eth0	0000DA0A	00000000	0001	0	0	0	00FFFFFF	0	0	0
`
	route6 = `20010db8021800010000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
fe800000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000002 00000000 00000001     eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000003 00000000 00000003     eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000009 00000800 00000003 00000000 00000003     eth1
`
	addrs6 = `00000000000000000000000000000001 01 80 10 80       lo
fd000000000000000000000000000002 02 40 00 80     eth0
20010db80218000100000000000000aa 02 40 00 01     eth0
20010db80218000100000000000000bb 02 40 00 20     eth0
20010db80218000100000000000000cc 02 40 00 40     eth0
20010db8021800010000000000000002 02 40 00 80     eth0
fe800000000000000000000000000002 02 40 20 80     eth0
20010db8021800020000000000000002 03 40 00 80     eth1
`
)

func TestParseRoute4(t *testing.T) {
	got, err := parseRoute4(strings.NewReader(route4))
	if want := netip.MustParseAddr("10.218.0.1"); err != nil || got != want {
		t.Errorf("parseRoute4 = %v, %v; want %v (the lower metric)", got, err, want)
	}
	if _, err := parseRoute4(strings.NewReader(route4[:strings.Index(route4, "eth1")])); !errors.Is(err, errNoRoute) {
		t.Errorf("no default route: err %v", err)
	}
}

func TestParseRoute6(t *testing.T) {
	got, err := parseRoute6(strings.NewReader(route6))
	if want := netip.MustParseAddr("fe80::1%eth0"); err != nil || got != want {
		t.Errorf("parseRoute6 = %v, %v; want %v", got, err, want)
	}
	if _, err := parseRoute6(strings.NewReader(route6[:strings.Index(route6, "\n00000000000000000000000000000000 00")])); !errors.Is(err, errNoRoute) {
		t.Errorf("no default route: err %v", err)
	}
}

// TestParseAddrs6: loopback, unique local, temporary, deprecated,
// tentative and link-local addresses are passed over.
func TestParseAddrs6(t *testing.T) {
	for _, tc := range []struct{ ifname, want string }{
		{"eth0", "2001:db8:218:1::2"},
		{"", "2001:db8:218:1::2"},
		{"eth1", "2001:db8:218:2::2"},
	} {
		got, err := parseAddrs6(strings.NewReader(addrs6), tc.ifname)
		if err != nil || got != netip.MustParseAddr(tc.want) {
			t.Errorf("parseAddrs6(%q) = %v, %v; want %s", tc.ifname, got, err, tc.want)
		}
	}
	if _, err := parseAddrs6(strings.NewReader(addrs6), "wlan0"); !errors.Is(err, errNoIPv6) {
		t.Errorf("no address on wlan0: err %v", err)
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		addr string
		want NAT
	}{
		{"", NATNoAddress},
		{"0.0.0.0", NATNoAddress},
		{"100.64.0.1", NATCarrier},
		{"100.127.255.254", NATCarrier},
		{"::ffff:100.64.3.4", NATCarrier},
		{"100.128.0.1", NATPublic},
		{"10.1.2.3", NATDouble},
		{"172.16.0.1", NATDouble},
		{"192.168.178.1", NATDouble},
		{"169.254.1.1", NATDouble},
		{"11.218.0.2", NATPublic},
		{"203.0.113.9", NATPublic},
	} {
		a, _ := netip.ParseAddr(tc.addr)
		if got := Classify(a); got != tc.want {
			t.Errorf("Classify(%q) = %v, want %v", tc.addr, got, tc.want)
		}
	}
}

// TestAdvice: each NAT that keeps phones out says so, naming the
// address, and a public one needs no advice.
func TestAdvice(t *testing.T) {
	a := netip.MustParseAddr("100.64.9.9")
	if got := NATCarrier.Advice(a); !strings.Contains(got, "Carrier-grade NAT") || !strings.Contains(got, "100.64.9.9") || !strings.Contains(got, "IPv6") {
		t.Errorf("carrier advice %q", got)
	}
	if got := NATDouble.Advice(netip.MustParseAddr("192.168.1.1")); !strings.Contains(got, "Double NAT") || !strings.Contains(got, "bridge mode") {
		t.Errorf("double NAT advice %q", got)
	}
	if got := NATNoAddress.Advice(netip.Addr{}); !strings.Contains(got, "carrier-grade NAT") {
		t.Errorf("no-address advice %q", got)
	}
	if got := NATPublic.Advice(a); got != "" {
		t.Errorf("public advice %q", got)
	}
}

func TestNATPMPCode(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("Non-zero result code 3"), 3},
		{errors.New("Non-zero result code 2"), 2},
		{errors.New("Timed out trying to contact gateway"), 0},
	} {
		if got := natpmpCode(tc.err); got != tc.want {
			t.Errorf("natpmpCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

// TestStatusChanged: a renewal alone is no change for OnChange; a new
// address or port is.
func TestStatusChanged(t *testing.T) {
	s := Status{State: Mapped, External: netip.MustParseAddr("11.218.0.2"), ExternalPort: 8080}
	renewed := s
	renewed.Renewed, renewed.Expires = renewed.Renewed.Add(1), renewed.Expires.Add(1)
	if renewed.changed(s) {
		t.Error("a renewal counted as a change")
	}
	moved := s
	moved.External = netip.MustParseAddr("11.218.0.3")
	if !moved.changed(s) {
		t.Error("a new external address did not count as a change")
	}
}

// TestRenewAfter: half the lease, at least a second, at most 5 minutes.
func TestRenewAfter(t *testing.T) {
	for lease, want := range map[time.Duration]time.Duration{
		4 * time.Second: 2 * time.Second,
		time.Second:     time.Second,
		time.Minute:     30 * time.Second,
		time.Hour:       5 * time.Minute,
	} {
		if got := renewAfter(lease); got != want {
			t.Errorf("renewAfter(%v) = %v, want %v", lease, got, want)
		}
	}
}
