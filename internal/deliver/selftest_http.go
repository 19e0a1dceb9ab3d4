package deliver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/homemmsc/homemmsc/internal/netaddr"
	"github.com/homemmsc/homemmsc/internal/phones"
)

// SelfTestPath is the LAN endpoint of the self-test.
const SelfTestPath = "/selftest"

// SelfTestHandler serves POST /selftest?phone=NAME on the LAN listener:
// it runs the self-test and answers the result as text. Mount it on the
// LAN mux only: it makes the modem send an SMS. It has no password, so
// it answers only the appliance itself (the -self-test CLI); the owner
// runs the test from another device with the inbox's button.
func SelfTestHandler(d *Deliverer, reg *phones.Registry, wait time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !sameHost(r) {
			http.Error(w, SelfTestPath+" answers this host only (the -self-test command); use the inbox's phones page", http.StatusForbidden)
			return
		}
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "POST "+SelfTestPath+"?phone=NAME", http.StatusMethodNotAllowed)
			return
		}
		if d == nil {
			http.Error(w, "delivery to paired phones is off (see -public-url and -modem)", http.StatusServiceUnavailable)
			return
		}
		p, ok := phoneByName(reg, r.URL.Query().Get("phone"))
		if !ok {
			http.Error(w, "no paired phone of that name", http.StatusNotFound)
			return
		}
		res, err := d.SelfTest(r.Context(), p, waitParam(r, wait))
		if err != nil {
			code := http.StatusBadGateway
			if errors.Is(err, ErrBusy) {
				code = http.StatusConflict
			}
			http.Error(w, err.Error(), code)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte(res.String()))
	})
}

// sameHost reports whether the client runs on this host: it comes from a
// loopback address, or from the very address it connected to (the CLI
// reaching a listener bound to the Pi's LAN address). No other machine
// can complete a TCP handshake from one of this host's own addresses.
func sameHost(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	if ip.IsLoopback() {
		return true
	}
	local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return false
	}
	lhost, _, err := net.SplitHostPort(local.String())
	if err != nil {
		return false
	}
	lip, err := netip.ParseAddr(lhost)
	return err == nil && !ip.IsUnspecified() && lip.Unmap() == ip
}

// maxSelfTestWait caps the wait a self-test request may ask for: the
// LAN server's write timeout must leave time for the answer.
const maxSelfTestWait = 5 * time.Minute

// waitParam is the ?wait= seconds of a self-test request, else def.
func waitParam(r *http.Request, def time.Duration) time.Duration {
	n, err := strconv.Atoi(r.URL.Query().Get("wait"))
	if err != nil || n <= 0 {
		return def
	}
	return min(time.Duration(n)*time.Second, maxSelfTestWait)
}

// phoneByName finds a phone by its name, ignoring case.
func phoneByName(reg *phones.Registry, name string) (phones.Phone, bool) {
	for _, p := range reg.List() {
		if strings.EqualFold(p.Name, strings.TrimSpace(name)) {
			return p, true
		}
	}
	return phones.Phone{}, false
}

// AskSelfTest is the client of SelfTestHandler, for the -self-test
// command: it asks the running service at lan (its LAN listener's
// address as the host reaches it) to test phone, waiting up to wait for
// the phone, and returns the answer. fetched is whether the phone fetched.
func AskSelfTest(ctx context.Context, lan, phone string, wait time.Duration) (answer string, fetched bool, err error) {
	u := "http://" + lan + SelfTestPath + "?phone=" + url.QueryEscape(phone) +
		"&wait=" + strconv.Itoa(int(wait.Seconds()))
	ctx, cancel := context.WithTimeout(ctx, wait+time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return "", false, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", false, fmt.Errorf("self-test: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return string(body), resp.StatusCode == http.StatusOK && strings.Contains(string(body), "\nOK:"), nil
}

// SelfTestPhones runs the self-test on each phone named in turn (the
// automatic test after a change of address or mapping): reachable when
// one fetched, and a line for the owner saying how each went.
func (d *Deliverer) SelfTestPhones(ctx context.Context, reg *phones.Registry, names []string, wait time.Duration) (reachable bool, text string) {
	var texts []string
	for _, name := range names {
		p, ok := phoneByName(reg, name)
		if !ok {
			texts = append(texts, name+": no such paired phone")
			continue
		}
		r, err := d.SelfTest(ctx, p, wait)
		switch {
		case err != nil:
			texts = append(texts, name+": not sent: "+err.Error())
		case r.Fetched:
			reachable = true
			texts = append(texts, fmt.Sprintf("%s fetched the test message after %s from %s", name, r.After.Round(time.Second), r.Remote))
		default:
			texts = append(texts, name+" did not fetch the test message in "+wait.String())
		}
	}
	return reachable, strings.Join(texts, "; ")
}

// RunSelfTest is the -self-test command: it asks the service at lan (the
// -lan address) to test phone, prints the answer to out and returns the
// exit code: 0 when the phone fetched, 1 otherwise.
func RunSelfTest(ctx context.Context, lan, phone string, wait time.Duration, out io.Writer) int {
	fmt.Fprintf(out, "homemmsc: asking the service at %s to test %q (waits up to %s)\n", lan, phone, wait)
	answer, fetched, err := AskSelfTest(ctx, netaddr.Loopback(lan), phone, wait)
	if err != nil {
		fmt.Fprintln(out, "homemmsc:", err)
		return 1
	}
	io.WriteString(out, answer)
	if !fetched {
		return 1
	}
	return 0
}
