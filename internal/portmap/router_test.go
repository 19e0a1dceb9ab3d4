package portmap_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/portmap"
	"github.com/homemmsc/homemmsc/internal/portmap/routertest"
)

// The tests run the Mapper in the LAN namespace of a real miniupnpd
// (routertest): the test binary runs itself there as a helper process
// (TestMain, when helperEnv is set), which maps a port it listens on and
// prints each status as a JSON line; SIGTERM ends it.
const helperEnv = "HOMEMMSC_PORTMAP_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "map":
		os.Exit(helperMap())
	case "dial":
		os.Exit(helperDial())
	}
	os.Exit(m.Run())
}

// helperMap listens on the port, runs a Mapper for it until SIGTERM and
// prints every status.
func helperMap() int {
	port, _ := strconv.Atoi(os.Getenv("PORT"))
	lease, _ := time.ParseDuration(os.Getenv("LEASE"))
	ln, err := net.Listen("tcp", ":"+strconv.Itoa(port))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	go serveHello(ln)
	enc := json.NewEncoder(os.Stdout)
	m, err := portmap.New(portmap.Config{
		Port: uint16(port), Protocol: os.Getenv("PROTOCOL"), Lease: lease, IPv6: os.Getenv("IPV6") != "",
		Logger:   slog.New(slog.NewTextHandler(os.Stderr, nil)),
		OnChange: func(s portmap.Status) { enc.Encode(s) },
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	m.Run(ctx)
	return 0
}

// serveHello answers every connection with "hello".
func serveHello(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		io.WriteString(c, "hello")
		c.Close()
	}
}

// helperDial connects to ADDR and prints what it reads.
func helperDial() int {
	c, err := net.DialTimeout("tcp", os.Getenv("ADDR"), time.Second)
	if err != nil {
		fmt.Println("error:", err)
		return 0
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	b, _ := io.ReadAll(c)
	fmt.Println(string(b))
	return 0
}

// helper is a running helperMap.
type helper struct {
	cmd    *exec.Cmd
	status chan portmap.Status
	stderr strings.Builder
}

func startMapper(t *testing.T, r *routertest.Router, env ...string) *helper {
	t.Helper()
	h := &helper{cmd: r.Exec(r.LAN, os.Args[0], "-test.run=^$"), status: make(chan portmap.Status, 16)}
	h.cmd.Env = append(os.Environ(), append([]string{helperEnv + "=map"}, env...)...)
	h.cmd.Stderr = &h.stderr
	out, err := h.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := h.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(h.status)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var s portmap.Status
			if err := json.Unmarshal(sc.Bytes(), &s); err == nil {
				h.status <- s
			}
		}
	}()
	t.Cleanup(func() { h.cmd.Process.Kill(); h.cmd.Wait() })
	return h
}

// next is the helper's next status, failing after 45 s (time for one
// retry, 30 s after a first search that a loaded machine answered late).
func (h *helper) next(t *testing.T) portmap.Status {
	t.Helper()
	select {
	case s, ok := <-h.status:
		if !ok {
			t.Fatalf("mapper exited:\n%s", h.stderr.String())
		}
		return s
	case <-time.After(45 * time.Second):
		t.Fatalf("no status from the mapper in 45 s:\n%s", h.stderr.String())
	}
	panic("unreachable")
}

// stop sends SIGTERM and returns the last status.
func (h *helper) stop(t *testing.T) portmap.Status {
	t.Helper()
	h.cmd.Process.Signal(syscall.SIGTERM)
	var last portmap.Status
	for s := range h.status {
		last = s
	}
	if err := h.cmd.Wait(); err != nil {
		t.Fatalf("mapper: %v\n%s", err, h.stderr.String())
	}
	return last
}

// dial connects from the internet side and returns what came back.
func dial(t *testing.T, r *routertest.Router, addr netip.AddrPort) string {
	t.Helper()
	cmd := r.Exec(r.Internet, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=dial", "ADDR="+addr.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	return strings.TrimSpace(string(out))
}

// leaseExpiry is the expiry time miniupnpd's lease file has for port.
func leaseExpiry(r *routertest.Router, port int) (int64, bool) {
	m := regexp.MustCompile(`(?m)^TCP:` + strconv.Itoa(port) + `:[0-9.]+:[0-9]+:([0-9]+):`).FindStringSubmatch(r.Leases())
	if m == nil {
		return 0, false
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n, true
}

// waitRenewed waits for the lease of port to be renewed (at half the
// 4 s lease): its expiry in miniupnpd's lease file moves on.
func waitRenewed(t *testing.T, r *routertest.Router, port int) {
	t.Helper()
	first, ok := leaseExpiry(r, port)
	if !ok {
		t.Fatalf("no lease for port %d:\n%s", port, r.Leases())
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		if e, _ := leaseExpiry(r, port); e > first {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("lease not renewed in 15 s: %d then\n%s", first, r.Leases())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// nftAddr6 is an IPv6 address as nft lists miniupnpd's pinhole rules:
// a raw 128-bit match in hex.
func nftAddr6(a netip.Addr) string {
	return fmt.Sprintf("0x%x", a.AsSlice())
}

// TestUPnP: the port is mapped by UPnP IGD:2 with an IPv6 pinhole; both
// let the internet side in; the mapping is renewed before its lease
// ends; SIGTERM removes both.
func TestUPnP(t *testing.T) {
	r := routertest.Start(t, routertest.Options{})
	const port = 8080
	h := startMapper(t, r, "PORT=8080", "PROTOCOL=upnp", "LEASE=4s", "IPV6=1")
	s := h.next(t)
	if s.State != portmap.Mapped || s.Method != "UPnP IGD:2 WANIPConnection:2" {
		t.Fatalf("status %+v, want mapped by UPnP IGD:2\n%s", s, h.stderr.String())
	}
	wantExt := netip.AddrPortFrom(r.WAN.Addr(), port)
	if ext, ok := s.PublicAddr(); !ok || ext != wantExt || s.NAT != portmap.NATPublic || s.Problem() != "" {
		t.Errorf("public address %v %v, NAT %v, problem %q; want %v, public", ext, ok, s.NAT, s.Problem(), wantExt)
	}
	if want := netip.AddrPortFrom(routertest.LANHost, port); s.Internal != want {
		t.Errorf("internal %v, want %v", s.Internal, want)
	}
	if want := netip.AddrPortFrom(routertest.LANHost6, port); s.Pinhole != want {
		t.Errorf("pinhole %v (%s), want %v", s.Pinhole, s.PinholeNote, want)
	}
	rules := r.Rules(t)
	if !strings.Contains(rules, fmt.Sprintf("dnat ip to %s:%d", routertest.LANHost, port)) {
		t.Errorf("no DNAT rule for the mapping in the router's firewall:\n%s", rules)
	}
	if !strings.Contains(rules, nftAddr6(routertest.LANHost6)) {
		t.Errorf("no pinhole rule for %s in the router's firewall:\n%s", routertest.LANHost6, rules)
	}
	if got := dial(t, r, wantExt); got != "hello" {
		t.Errorf("IPv4 from the internet through the mapping: %q", got)
	}
	if got := dial(t, r, netip.AddrPortFrom(routertest.LANHost6, port)); got != "hello" {
		t.Errorf("IPv6 from the internet through the pinhole: %q", got)
	}
	waitRenewed(t, r, port)
	last := h.stop(t)
	if last.State != portmap.Removed {
		t.Errorf("last status %v, want removed", last.State)
	}
	rules = r.Rules(t)
	if strings.Contains(rules, "dnat") || strings.Contains(rules, nftAddr6(routertest.LANHost6)) {
		t.Errorf("mapping or pinhole left in the router's firewall after SIGTERM:\n%s\nmapper:\n%s\nminiupnpd:\n%s", rules, h.stderr.String(), r.Log())
	}
	if _, ok := leaseExpiry(r, port); ok {
		t.Errorf("lease left after SIGTERM:\n%s", r.Leases())
	}
	if got := dial(t, r, netip.AddrPortFrom(routertest.LANHost6, port)); got == "hello" {
		t.Error("IPv6 from the internet still gets in after SIGTERM")
	}
}

// TestNATPMP: the same by NAT-PMP, which miniupnpd serves on the port it
// shares with PCP; NAT-PMP opens no pinhole and says so.
func TestNATPMP(t *testing.T) {
	r := routertest.Start(t, routertest.Options{})
	const port = 8081
	h := startMapper(t, r, "PORT=8081", "PROTOCOL=natpmp", "LEASE=4s", "IPV6=1")
	s := h.next(t)
	if s.State != portmap.Mapped || s.Method != "NAT-PMP" || s.Router != routertest.LANRoute {
		t.Fatalf("status %+v, want mapped by NAT-PMP at %v\n%s", s, routertest.LANRoute, h.stderr.String())
	}
	wantExt := netip.AddrPortFrom(r.WAN.Addr(), port)
	if ext, ok := s.PublicAddr(); !ok || ext != wantExt {
		t.Errorf("public address %v %v, want %v", ext, ok, wantExt)
	}
	if s.Pinhole.IsValid() || !strings.Contains(s.PinholeNote, "NAT-PMP opens no IPv6 pinholes") {
		t.Errorf("pinhole %v, note %q", s.Pinhole, s.PinholeNote)
	}
	if got := dial(t, r, wantExt); got != "hello" {
		t.Errorf("IPv4 from the internet through the mapping: %q", got)
	}
	waitRenewed(t, r, port)
	if last := h.stop(t); last.State != portmap.Removed {
		t.Errorf("last status %v, want removed", last.State)
	}
	if rules := r.Rules(t); strings.Contains(rules, "dnat") {
		t.Errorf("mapping left in the router's firewall after SIGTERM:\n%s", rules)
	}
	if got := dial(t, r, wantExt); got == "hello" {
		t.Error("IPv4 from the internet still gets in after SIGTERM")
	}
}

// TestCarrierNAT: a router whose own address is in the carrier-grade
// NAT space. miniupnpd then reports no external address (empty
// NewExternalIPAddress, NAT-PMP result 3) and maps nothing; the status
// says so in plain words, by either protocol, and auto tries both.
func TestCarrierNAT(t *testing.T) {
	r := routertest.Start(t, routertest.Options{WAN: routertest.CarrierWAN})
	for _, proto := range []string{"upnp", "natpmp", "auto"} {
		t.Run(proto, func(t *testing.T) {
			h := startMapper(t, r, "PORT=8082", "PROTOCOL="+proto, "LEASE=1m")
			s := h.next(t)
			if s.State != portmap.Failed || s.NAT != portmap.NATNoAddress || s.External.IsValid() {
				t.Fatalf("status %+v, want failed with no public address", s)
			}
			if !strings.Contains(s.Problem(), "carrier-grade NAT") {
				t.Errorf("problem %q does not name carrier-grade NAT", s.Problem())
			}
			if _, ok := s.PublicAddr(); ok {
				t.Error("a public address behind carrier-grade NAT")
			}
			// auto asks NAT-PMP too once UPnP refused the mapping.
			if proto == "auto" && (!strings.Contains(s.Err, "AddAnyPortMapping") || !strings.Contains(s.Err, "NAT-PMP")) {
				t.Errorf("auto's failure %q does not name both protocols", s.Err)
			}
			if last := h.stop(t); last.State != portmap.Removed {
				t.Errorf("last status %v", last.State)
			}
		})
	}
	if rules := r.Rules(t); strings.Contains(rules, "dnat") {
		t.Errorf("a mapping in the router's firewall:\n%s", rules)
	}
}

// TestAutoFallsBack: with UPnP off in the router, Auto finds no IGD and
// maps by NAT-PMP.
func TestAutoFallsBack(t *testing.T) {
	r := routertest.Start(t, routertest.Options{NoUPnP: true})
	h := startMapper(t, r, "PORT=8083", "PROTOCOL=auto", "LEASE=1m")
	s := h.next(t)
	if s.State != portmap.Mapped || s.Method != "NAT-PMP" {
		t.Fatalf("status %+v, want mapped by NAT-PMP\n%s", s, h.stderr.String())
	}
	if !strings.Contains(r.Rules(t), "dnat ip to 10.218.0.2:8083") {
		t.Errorf("no mapping in the router's firewall:\n%s", r.Rules(t))
	}
	h.stop(t)
	if strings.Contains(r.Rules(t), "dnat") {
		t.Errorf("mapping left after SIGTERM:\n%s", r.Rules(t))
	}
}

// TestUPnPIGD1: a router that describes itself as an IGD:1 is mapped
// through WANIPConnection:1, renewed and cleaned up the same way.
func TestUPnPIGD1(t *testing.T) {
	r := routertest.Start(t, routertest.Options{IGDv1: true})
	h := startMapper(t, r, "PORT=8084", "PROTOCOL=upnp", "LEASE=4s")
	s := h.next(t)
	if s.State != portmap.Mapped || s.Method != "UPnP IGD WANIPConnection:1" {
		t.Fatalf("status %+v, want mapped by IGD:1\n%s", s, h.stderr.String())
	}
	if ext, ok := s.PublicAddr(); !ok || ext != netip.AddrPortFrom(r.WAN.Addr(), 8084) {
		t.Errorf("public address %v %v", ext, ok)
	}
	if got := dial(t, r, netip.AddrPortFrom(r.WAN.Addr(), 8084)); got != "hello" {
		t.Errorf("IPv4 from the internet through the mapping: %q", got)
	}
	h.stop(t)
	if strings.Contains(r.Rules(t), "dnat") {
		t.Errorf("mapping left after SIGTERM:\n%s", r.Rules(t))
	}
}

// TestRouterRestart: a router that reboots loses every mapping; the
// next renewal puts the mapping and the pinhole back.
func TestRouterRestart(t *testing.T) {
	r := routertest.Start(t, routertest.Options{})
	h := startMapper(t, r, "PORT=8085", "PROTOCOL=upnp", "LEASE=4s", "IPV6=1")
	if s := h.next(t); s.State != portmap.Mapped || !s.Pinhole.IsValid() {
		t.Fatalf("status %+v\n%s", s, h.stderr.String())
	}
	r.Restart(t)
	if rules := r.Rules(t); strings.Contains(rules, "dnat") {
		t.Fatalf("the restart left a mapping:\n%s", rules)
	}
	deadline := time.Now().Add(20 * time.Second) // a renewal, or a search 5 s after a failed one
	for {
		rules := r.Rules(t)
		if strings.Contains(rules, "dnat ip to 10.218.0.2:8085") && strings.Contains(rules, nftAddr6(routertest.LANHost6)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("mapping and pinhole not back 20 s after the restart:\n%s\n%s", rules, h.stderr.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	if got := dial(t, r, netip.AddrPortFrom(routertest.LANHost6, 8085)); got != "hello" {
		t.Errorf("IPv6 through the new pinhole: %q", got)
	}
	h.stop(t)
	if rules := r.Rules(t); strings.Contains(rules, "dnat") || strings.Contains(rules, nftAddr6(routertest.LANHost6)) {
		t.Errorf("mapping or pinhole left after SIGTERM:\n%s", rules)
	}
}
