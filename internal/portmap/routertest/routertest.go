// Package routertest runs a real home router for tests: Debian's
// miniupnpd (UPnP IGD:2 with WANIPv6FirewallControl, NAT-PMP and PCP)
// with an nftables firewall, in network namespaces the test makes:
//
//	LAN namespace            router namespace              internet namespace
//	eth0 10.218.0.2/24  ──  lan0 10.218.0.1/24 fe80::1     wan0 ── eth0 WAN peer
//	2001:db8:218:1::2/64     wan0 Options.WAN, 2001:db8:218:ff::2  2001:db8:218:ff::1
//
// The code under test runs in the LAN namespace (Exec), as the
// appliance would on a home network; the internet namespace plays the
// phones' side. The router forwards, masquerades the LAN on wan0 and
// drops inbound connections unless miniupnpd opened them, so a
// connection from the internet side succeeds only through a mapping or
// a pinhole. No address outside these namespaces is used.
//
// Start needs root, ip(8), nft(8) and /usr/sbin/miniupnpd (Debian
// packages iproute2, nftables, miniupnpd-nftables); without them it
// skips the test, saying which is missing, except under CI, where it
// fails.
package routertest

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Addresses inside the namespaces.
var (
	LANHost  = netip.MustParseAddr("10.218.0.2")        // the code under test
	LANRoute = netip.MustParseAddr("10.218.0.1")        // the router's LAN address
	LANHost6 = netip.MustParseAddr("2001:db8:218:1::2") // the host's global IPv6 address
	WANPeer6 = netip.MustParseAddr("2001:db8:218:ff::1")
	// PublicWAN is a router's public address: public to miniupnpd,
	// which refuses to map from reserved ones, and to portmap.Classify.
	// It exists only inside the test's namespaces.
	PublicWAN = netip.MustParsePrefix("11.218.0.2/24")
	// CarrierWAN is a router's address behind carrier-grade NAT
	// (RFC 6598 shared space).
	CarrierWAN = netip.MustParsePrefix("100.64.218.2/24")
)

// Options configure a Router.
type Options struct {
	WAN    netip.Prefix // the router's address on wan0; if zero, PublicWAN
	NoUPnP bool         // UPnP off: the router speaks NAT-PMP and PCP only
	IGDv1  bool         // describe an IGD:1 (WANIPConnection:1), as older routers do
}

// Router is a running miniupnpd between a LAN and an internet
// namespace.
type Router struct {
	LAN, Internet, ns string // namespace names: LAN, internet, router
	WAN               netip.Prefix
	HTTPPort          int // miniupnpd's UPnP HTTP port
	upnp              bool
	igd1              bool
	dir               string
	cmd               *exec.Cmd
	log               logBuffer
}

// Start makes the namespaces, the firewall and starts miniupnpd; the
// test's cleanup stops it and removes the namespaces.
func Start(t testing.TB, o Options) *Router {
	t.Helper()
	Need(t)
	if !o.WAN.IsValid() {
		o.WAN = PublicWAN
	}
	id := fmt.Sprintf("hm%x", rand.Uint32())
	r := &Router{LAN: id + "-lan", Internet: id + "-net", ns: id + "-rtr", WAN: o.WAN, HTTPPort: 2189, upnp: !o.NoUPnP, igd1: o.IGDv1, dir: t.TempDir()}
	t.Cleanup(r.close)
	for _, step := range r.script() {
		if out, err := exec.Command("ip", step...).CombinedOutput(); err != nil {
			t.Fatalf("routertest: ip %s: %v\n%s", strings.Join(step, " "), err, out)
		}
	}
	r.mustRun(t, "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1")
	r.writeFile(t, "rules.nft", r.ruleset())
	r.mustRun(t, "nft", "-f", filepath.Join(r.dir, "rules.nft"))
	r.writeFile(t, "miniupnpd.conf", r.config())
	r.startDaemon(t)
	return r
}

// startDaemon starts miniupnpd and waits for it to listen.
func (r *Router) startDaemon(t testing.TB) {
	t.Helper()
	ready := strings.Count(r.Log(), readyLine)
	r.cmd = exec.Command("ip", "netns", "exec", r.ns, "/usr/sbin/miniupnpd", "-d",
		"-f", filepath.Join(r.dir, "miniupnpd.conf"), "-P", filepath.Join(r.dir, "miniupnpd.pid"))
	r.cmd.Stdout, r.cmd.Stderr = &r.log, &r.log
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("routertest: miniupnpd: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(r.Log(), readyLine) == ready {
		if time.Now().After(deadline) {
			t.Fatalf("routertest: miniupnpd did not start:\n%s", r.Log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// readyLine is the last of miniupnpd's start-up lines.
const readyLine = "Listening for NAT-PMP/PCP traffic"

// Restart is a router reboot: miniupnpd stops, every mapping and
// pinhole is gone (rules and lease files), and it starts again.
func (r *Router) Restart(t testing.TB) {
	t.Helper()
	r.stopDaemon()
	os.Remove(r.LeaseFile())
	os.Remove(filepath.Join(r.dir, "leases6"))
	for _, c := range []string{"miniupnpd", "prerouting_miniupnpd", "postrouting_miniupnpd"} {
		r.mustRun(t, "nft", "flush", "chain", "inet", "filter", c)
	}
	r.startDaemon(t)
}

// stopDaemon stops miniupnpd, killing it after 5 s.
func (r *Router) stopDaemon() {
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	r.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { r.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		r.cmd.Process.Kill()
		<-done
	}
	r.cmd = nil
}

// Need skips (fails under CI) a test that cannot run a router here.
func Need(t testing.TB) {
	t.Helper()
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root (for network namespaces)")
	}
	for _, p := range []string{"ip", "nft", "/usr/sbin/miniupnpd"} {
		if _, err := exec.LookPath(p); err != nil {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := "routertest: needs " + strings.Join(missing, ", ") + " (Debian: iproute2 nftables miniupnpd-nftables; .ci/run installs them)"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// script is the ip(8) commands that build the namespaces and links.
func (r *Router) script() [][]string {
	wan6 := "2001:db8:218:ff::2/64"
	return [][]string{
		{"netns", "add", r.LAN}, {"netns", "add", r.ns}, {"netns", "add", r.Internet},
		{"-n", r.LAN, "link", "add", "eth0", "type", "veth", "peer", "name", "lan0", "netns", r.ns},
		{"-n", r.ns, "link", "add", "wan0", "type", "veth", "peer", "name", "eth0", "netns", r.Internet},
		{"-n", r.LAN, "addr", "add", LANHost.String() + "/24", "dev", "eth0"},
		{"-n", r.LAN, "addr", "add", LANHost6.String() + "/64", "dev", "eth0", "nodad"},
		{"-n", r.ns, "addr", "add", LANRoute.String() + "/24", "dev", "lan0"},
		{"-n", r.ns, "addr", "add", "2001:db8:218:1::1/64", "dev", "lan0", "nodad"},
		{"-n", r.ns, "addr", "add", "fe80::1/64", "dev", "lan0", "nodad"},
		{"-n", r.ns, "addr", "add", r.WAN.String(), "dev", "wan0"},
		{"-n", r.ns, "addr", "add", wan6, "dev", "wan0", "nodad"},
		{"-n", r.Internet, "addr", "add", r.peer().String() + "/24", "dev", "eth0"},
		{"-n", r.Internet, "addr", "add", WANPeer6.String() + "/64", "dev", "eth0", "nodad"},
		{"-n", r.LAN, "link", "set", "lo", "up"}, {"-n", r.ns, "link", "set", "lo", "up"}, {"-n", r.Internet, "link", "set", "lo", "up"},
		{"-n", r.LAN, "link", "set", "eth0", "up"}, {"-n", r.ns, "link", "set", "lan0", "up"},
		{"-n", r.ns, "link", "set", "wan0", "up"}, {"-n", r.Internet, "link", "set", "eth0", "up"},
		{"-n", r.LAN, "route", "add", "default", "via", LANRoute.String()},
		{"-n", r.LAN, "-6", "route", "add", "default", "via", "fe80::1", "dev", "eth0"},
		{"-n", r.Internet, "-6", "route", "add", "2001:db8:218:1::/64", "via", "2001:db8:218:ff::2"},
	}
}

// peer is the internet namespace's address: the next one in the WAN's
// subnet, so its replies find the router without a route.
func (r *Router) peer() netip.Addr {
	a := r.WAN.Masked().Addr().Next()
	if a == r.WAN.Addr() {
		a = a.Next()
	}
	return a
}

// Peer is the internet side's IPv4 address.
func (r *Router) Peer() netip.Addr { return r.peer() }

// ruleset is the router's firewall, in the shape of miniupnpd's
// nft_init.sh: the chains miniupnpd fills (miniupnpd,
// prerouting_miniupnpd, postrouting_miniupnpd in table inet filter,
// its defaults) and a forward policy that drops what comes in from the
// internet unless miniupnpd let it.
func (r *Router) ruleset() string {
	return `table inet filter {
	chain forward {
		type filter hook forward priority 0; policy drop;
		ct state established,related accept
		iifname "lan0" accept
		jump miniupnpd
	}
	chain miniupnpd {
	}
	chain prerouting {
		type nat hook prerouting priority -100; policy accept;
		jump prerouting_miniupnpd
	}
	chain postrouting {
		type nat hook postrouting priority 100; policy accept;
		jump postrouting_miniupnpd
		oifname "wan0" ip saddr 10.218.0.0/24 masquerade
	}
	chain prerouting_miniupnpd {
	}
	chain postrouting_miniupnpd {
	}
}
`
}

// config is miniupnpd.conf: UPnP and NAT-PMP/PCP on the LAN side,
// secure mode (a host maps ports to itself only), the lease file that
// shows each mapping's expiry.
func (r *Router) config() string {
	return fmt.Sprintf(`ext_ifname=wan0
listening_ip=lan0
http_port=%d
enable_upnp=%s
force_igd_desc_v1=%s
enable_natpmp=yes
secure_mode=yes
system_uptime=yes
uuid=3c1d1e5a-0218-4a5e-9d1e-0000000218aa
lease_file=%s
lease_file6=%s
allow 1024-65535 10.218.0.0/24 1024-65535
deny 0-65535 0.0.0.0/0 0-65535
`, r.HTTPPort, yesNo(r.upnp), yesNo(r.igd1), r.LeaseFile(), filepath.Join(r.dir, "leases6"))
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// LeaseFile is miniupnpd's list of IPv4 mappings:
// "PROTO:eport:iaddr:iport:expiry-unix-time:description" a line.
func (r *Router) LeaseFile() string { return filepath.Join(r.dir, "leases") }

// Leases reads the lease file ("" when there is none).
func (r *Router) Leases() string {
	b, _ := os.ReadFile(r.LeaseFile())
	return string(b)
}

// Rules is the router's firewall as nft lists it now.
func (r *Router) Rules(t testing.TB) string {
	t.Helper()
	return r.mustRun(t, "nft", "list", "table", "inet", "filter")
}

// Log is what miniupnpd has logged so far.
func (r *Router) Log() string { return r.log.String() }

// Exec is a command run in namespace ns (r.LAN or r.Internet).
func (r *Router) Exec(ns, name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", ns, name}, args...)...)
}

func (r *Router) mustRun(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command("ip", append([]string{"netns", "exec", r.ns, name}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("routertest: %s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (r *Router) writeFile(t testing.TB, name, s string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(r.dir, name), []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

// close stops miniupnpd and removes the namespaces (and so the links).
func (r *Router) close() {
	r.stopDaemon()
	for _, ns := range []string{r.LAN, r.ns, r.Internet} {
		exec.Command("ip", "netns", "del", ns).Run()
	}
}
