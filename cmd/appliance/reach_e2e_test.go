package main_test

import (
	"encoding/json"
	"fmt"
	"html"
	"image/color"
	"image/png"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"periph.io/x/devices/v3/ssd1306/image1bit"

	"github.com/homemmsc/homemmsc/internal/display"
	"github.com/homemmsc/homemmsc/internal/health"
	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/modem/modemtest"
	"github.com/homemmsc/homemmsc/internal/portmap/routertest"
)

// reachProc is the binary running in the LAN namespace of a real
// miniupnpd (internal/portmap/routertest), with -portmap.
type reachProc struct {
	t   *testing.T
	r   *routertest.Router
	cmd *exec.Cmd
	log *syncBuffer
	dir string
}

const reachPassword = "a long enough password"

func startReachProc(t *testing.T, r *routertest.Router, bin string, args ...string) *reachProc {
	t.Helper()
	dir := t.TempDir()
	pw := filepath.Join(dir, "inbox-password")
	if err := os.WriteFile(pw, []byte(reachPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	argv := append([]string{"-listen", ":8080", "-lan", "127.0.0.1:8081", "-data", filepath.Join(dir, "data"),
		"-inbox-password-file", pw, "-log-level", "debug"}, args...)
	p := &reachProc{t: t, r: r, cmd: r.Exec(r.LAN, bin, argv...), log: &syncBuffer{}, dir: dir}
	p.cmd.Env = e2eEnv()
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.cmd.Process.Kill(); p.cmd.Wait() })
	return p
}

// curl runs curl in namespace ns and returns its output.
func (p *reachProc) curl(ns string, args ...string) string {
	p.t.Helper()
	out, err := p.r.Exec(ns, "curl", append([]string{"-s", "--max-time", "5"}, args...)...).Output()
	if err != nil {
		p.t.Fatalf("curl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// healthz is the LAN listener's /healthz; false while it does not
// answer (starting).
func (p *reachProc) healthz() (health.Reply, bool) {
	var rep health.Reply
	body, err := p.r.Exec(p.r.LAN, "curl", "-s", "--max-time", "5", "http://127.0.0.1:8081/healthz").Output()
	return rep, err == nil && json.Unmarshal(body, &rep) == nil
}

// statusPage logs in to the inbox and returns the status page's text.
func (p *reachProc) statusPage() string {
	p.t.Helper()
	jar := filepath.Join(p.dir, "cookies")
	login := p.curl(p.r.LAN, "-c", jar, "-b", jar, "http://127.0.0.1:8081/login")
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(login)
	if m == nil {
		p.t.Fatalf("no login form:\n%s", login)
	}
	p.curl(p.r.LAN, "-c", jar, "-b", jar, "--data-urlencode", "csrf="+m[1], "--data-urlencode", "password="+reachPassword,
		"http://127.0.0.1:8081/login")
	page := p.curl(p.r.LAN, "-c", jar, "-b", jar, "http://127.0.0.1:8081/status")
	return html.UnescapeString(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(page, " "))
}

// waitFor polls cond for up to 45 s: time for one retry of the port
// mapping, 30 s after a first search that a loaded machine answered late.
func (p *reachProc) waitFor(what string, cond func() bool) {
	p.t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			p.t.Fatalf("waited 45 s for %s; the appliance's log:\n%s", what, p.log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (p *reachProc) stop() {
	p.t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			p.t.Fatalf("exit after SIGTERM: %v; log:\n%s", err, p.log.String())
		}
	case <-time.After(20 * time.Second):
		p.t.Fatalf("no exit 20 s after SIGTERM; log:\n%s", p.log.String())
	}
}

// leaseExpiry is miniupnpd's expiry of the mapping of port, or "".
func leaseExpiry(r *routertest.Router, port int) string {
	m := regexp.MustCompile(fmt.Sprintf(`(?m)^TCP:%d:[0-9.]+:[0-9]+:([0-9]+):`, port)).FindStringSubmatch(r.Leases())
	if m == nil {
		return ""
	}
	return m[1]
}

// TestReachE2E runs the binary with -portmap behind a real router:
// the mapping shows in the router's firewall, is renewed, lets the
// internet side in, and is gone after SIGTERM; behind carrier-grade NAT
// the status page, /healthz and the log say so.
func TestReachE2E(t *testing.T) {
	routertest.Need(t)
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("needs curl")
	}
	bin := e2eBuild(t, t.TempDir(), "reach-e2e")
	t.Run("public", func(t *testing.T) { testReachPublic(t, bin) })
	t.Run("cgnat", func(t *testing.T) { testReachCarrierNAT(t, bin) })
	t.Run("selftest", func(t *testing.T) { testReachSelfTest(t, bin) })
}

// testReachSelfTest: once the router maps the port, the phone that
// allows it gets the self-test notification by SMS (a pty modem); the
// test, as that phone, fetches the message from the internet side
// through the mapping, and the status page and /healthz show it passed.
func testReachSelfTest(t *testing.T, bin string) {
	r := routertest.Start(t, routertest.Options{})
	m := modemtest.New(t)
	const public = "http://mms.example.test:8080"
	p := startReachProc(t, r, bin, "-portmap", "upnp", "-modem", m.Link(), "-public-url", public,
		"-phones", "Ben:"+dBen+":"+dTokB, "-self-test-phones", "ben", "-self-test-wait", "30s")
	push := m.WaitPushes(t, 1)[0]
	n, err := mms.Decode(push.Body)
	if err != nil || push.To != dBen || n.Type != mms.TypeNotificationInd || !strings.HasPrefix(n.ContentLocation, public+"/m/") {
		t.Fatalf("push to %s: %v, %+v", push.To, err, n)
	}
	code := p.curl(r.Internet, "-o", "/dev/null", "-w", "%{http_code}", "-A", "Ben's phone/1.0",
		"--resolve", "mms.example.test:8080:"+r.WAN.Addr().String(), n.ContentLocation)
	if code != "200" {
		t.Fatalf("the phone's fetch through the mapping: HTTP %s", code)
	}
	p.waitFor("the self-test's result", func() bool { return strings.Contains(p.statusPage(), "ben fetched the test message") })
	page := strings.Join(strings.Fields(p.statusPage()), " ")
	if !strings.Contains(page, "from "+r.Peer().String()) {
		t.Errorf("status page does not name where the fetch came from (%s):\n%s", r.Peer(), page)
	}
	if rep, _ := p.healthz(); len(rep.Warnings) != 0 {
		t.Errorf("/healthz warnings after a passed self-test: %q", rep.Warnings)
	}
	p.stop()
}

// dyn2Updates is a dyndns2 service as dyn.com documents the protocol
// (GET /nic/update?hostname=NAME&myip=ADDR, HTTP Basic authentication,
// "good ADDR" or badauth/nohost): it records each address it is given.
type dyn2Updates struct {
	mu    sync.Mutex
	addrs []string
}

func (d *dyn2Updates) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	user, pw, _ := r.BasicAuth()
	switch {
	case r.URL.Path != "/nic/update":
		http.NotFound(w, r)
	case user != "owner" || pw != "pw":
		io.WriteString(w, "badauth")
	case r.URL.Query().Get("hostname") != "mms.example.org":
		io.WriteString(w, "nohost")
	default:
		d.mu.Lock()
		d.addrs = append(d.addrs, r.URL.Query().Get("myip"))
		d.mu.Unlock()
		io.WriteString(w, "good "+r.URL.Query().Get("myip"))
	}
}

func (d *dyn2Updates) last() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.addrs) == 0 {
		return ""
	}
	return d.addrs[len(d.addrs)-1]
}

func testReachPublic(t *testing.T, bin string) {
	r := routertest.Start(t, routertest.Options{})
	dns := &dyn2Updates{}
	ln := r.Listen(t, r.LAN, "127.0.0.1:0")
	go http.Serve(ln, dns)
	// The outside check: a server on the internet side answering the
	// address a request comes from, which the router's NAT makes its own.
	check := r.Listen(t, r.Internet, r.Peer().String()+":0")
	go http.Serve(check, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		host, _, _ := net.SplitHostPort(req.RemoteAddr)
		io.WriteString(w, host+"\n")
	}))
	p := startReachProc(t, r, bin, "-portmap", "upnp", "-portmap-lease", "4s",
		"-dyndns", "dyndns2:http://owner:pw@"+ln.Addr().String()+"/nic/update?hostname=mms.example.org",
		"-public-ip-check", "http://"+check.Addr().String())
	dnat := "dnat ip to " + routertest.LANHost.String() + ":8080"
	p.waitFor("mapping in the router's firewall", func() bool { return strings.Contains(r.Rules(t), dnat) })
	if got := p.curl(r.Internet, "-o", "/dev/null", "-w", "%{http_code}", "http://"+r.WAN.Addr().String()+":8080/mms"); got == "000" {
		t.Errorf("the internet side does not reach the MMSC listener through the mapping")
	}
	p.waitFor("the IPv6 pinhole", func() bool {
		return strings.Contains(r.Rules(t), fmt.Sprintf("0x%x", routertest.LANHost6.AsSlice()))
	})
	if got := p.curl(r.Internet, "-o", "/dev/null", "-w", "%{http_code}", "http://["+routertest.LANHost6.String()+"]:8080/mms"); got == "000" {
		t.Errorf("the internet side does not reach the MMSC listener over IPv6 through the pinhole")
	}
	if rules := r.Rules(t); strings.Contains(rules, "8081") {
		t.Errorf("the LAN listener's port is in the router's firewall:\n%s", rules)
	}
	p.waitFor("mapped status", func() bool { return strings.Contains(p.statusPage(), "UPnP IGD:2") })
	page := p.statusPage()
	p.waitFor("the DNS update", func() bool { return dns.last() == r.WAN.Addr().String() })
	p.waitFor("the outside check", func() bool { return strings.Contains(p.statusPage(), "the internet sees this home as") })
	page = p.statusPage()
	for _, want := range []string{
		"Public URL http://mms.example.org:8080",
		"Dynamic DNS mms.example.org: up to date (11.218.0.2, 2001:db8:218:1::2",
		"Public address 11.218.0.2 (public address)",
		"pinhole open for port 8080",
		"Outside check the internet sees this home as 11.218.0.2, as the router says",
	} {
		if !strings.Contains(strings.Join(strings.Fields(page), " "), want) {
			t.Errorf("status page lacks %q:\n%s", want, strings.Join(strings.Fields(page), " "))
		}
	}
	if rep, _ := p.healthz(); rep.Status != "ok" || len(rep.Warnings) != 0 {
		t.Errorf("/healthz %+v, want ok without warnings", rep)
	}
	first := leaseExpiry(r, 8080)
	p.waitFor("renewal", func() bool { e := leaseExpiry(r, 8080); return e != "" && e != first })
	p.stop()
	if rules := r.Rules(t); strings.Contains(rules, "dnat") || strings.Contains(rules, fmt.Sprintf("0x%x", routertest.LANHost6.AsSlice())) {
		t.Errorf("mapping or pinhole left after SIGTERM:\n%s", rules)
	}
	if !strings.Contains(p.log.String(), "portmap: mapping removed") {
		t.Errorf("the log does not say the mapping was removed:\n%s", p.log.String())
	}
}

func testReachCarrierNAT(t *testing.T, bin string) {
	r := routertest.Start(t, routertest.Options{WAN: routertest.CarrierWAN})
	oled := filepath.Join(t.TempDir(), "oled.png")
	p := startReachProc(t, r, bin, "-portmap", "auto", "-display", "png:"+oled)
	p.waitFor("the warning on /healthz", func() bool { rep, _ := p.healthz(); return len(rep.Warnings) > 0 })
	rep, _ := p.healthz()
	if rep.Status != "ok" || !strings.Contains(rep.Warnings[0], "carrier-grade NAT") {
		t.Errorf("/healthz %+v, want ok with a carrier-grade NAT warning", rep)
	}
	page := strings.Join(strings.Fields(p.statusPage()), " ")
	for _, want := range []string{"Public address no public address", "carrier-grade NAT", "Port mapping failed"} {
		if !strings.Contains(page, want) {
			t.Errorf("status page lacks %q:\n%s", want, page)
		}
	}
	if !strings.Contains(p.log.String(), "carrier-grade NAT") {
		t.Errorf("the log does not name carrier-grade NAT:\n%s", p.log.String())
	}
	// The OLED's banner rows are those of a screen whose one trouble is CGNAT.
	want := display.Render(display.Status{Net: display.NetDown, NetTrouble: "CGNAT"}, display.Panel128x64)
	p.waitFor("the CGNAT banner on the OLED", func() bool { return sameRows(oled, want, 40, 53) })
	p.stop()
}

// sameRows says whether the PNG at path has the pixels of want in rows
// [y0, y1).
func sameRows(path string, want *image1bit.VerticalLSB, y0, y1 int) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil || img.Bounds() != want.Bounds() {
		return false
	}
	for y := y0; y < y1; y++ {
		for x := 0; x < want.Rect.Dx(); x++ {
			lit := color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y > 0
			if lit != bool(want.BitAt(x, y)) {
				return false
			}
		}
	}
	return true
}
