package reach

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/homemmsc/homemmsc/internal/dyndns"
	"github.com/homemmsc/homemmsc/internal/portmap"
)

var (
	quiet  = slog.New(slog.NewTextHandler(io.Discard, nil))
	noIPv6 = func() (netip.Addr, error) { return netip.Addr{}, nil }
)

func mappedAt(ext string, port uint16, since time.Time) portmap.Status {
	a := netip.MustParseAddr(ext)
	return portmap.Status{State: portmap.Mapped, Method: "NAT-PMP", Router: netip.MustParseAddr("10.218.0.1"),
		External: a, ExternalPort: port, NAT: portmap.Classify(a), Since: since}
}

// TestSelfTestAfterChange: a change of mapping runs the self-test once
// the settle time passed without another change, and no more often
// than SelfTestEvery.
func TestSelfTestAfterChange(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var runs []time.Time
		r, err := New(Config{Portmap: &portmap.Config{Port: 8080}, Settle: time.Minute, SelfTestEvery: time.Hour,
			SelfTest: func(context.Context) (Check, bool) {
				runs = append(runs, time.Now())
				return Check{Reachable: true, Text: "alice fetched it"}, true
			},
			IPv6: noIPv6, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go r.selfTests(ctx)
		start := time.Now()
		r.mapped(mappedAt("11.218.0.2", 8080, start))
		time.Sleep(30 * time.Second)
		r.mapped(mappedAt("11.218.0.3", 8080, time.Now())) // restarts the quiet minute
		time.Sleep(61 * time.Second)
		synctest.Wait()
		if len(runs) != 1 || runs[0].Sub(start) != 90*time.Second {
			t.Fatalf("self-tests at %v after the first change, want one at 1m30s", offsets(runs, start))
		}
		r.mapped(mappedAt("11.218.0.4", 8080, time.Now()))
		time.Sleep(2 * time.Hour)
		synctest.Wait()
		if len(runs) != 2 || runs[1].Sub(runs[0]) != time.Hour {
			t.Fatalf("self-tests at %v, want the second an hour after the first", offsets(runs, start))
		}
		if st := r.Status(); st.Check.Text != "alice fetched it" || st.Verdict() != Reachable {
			t.Errorf("check %+v, verdict %v", st.Check, st.Verdict())
		}
	})
}

func offsets(ts []time.Time, start time.Time) []time.Duration {
	var d []time.Duration
	for _, t := range ts {
		d = append(d, t.Sub(start))
	}
	return d
}

// TestPublicURL: -public-url wins; else the DNS name at the mapped
// port; else the router's public address; nothing behind a NAT.
func TestPublicURL(t *testing.T) {
	svc, err := dyndns.Parse("duckdns:https://www.duckdns.org/update?domains=mybox&token=t")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		cfg  Config
		st   portmap.Status
		want string
	}{
		{"fixed", Config{PublicURL: "http://mms.example.org:8080", Portmap: &portmap.Config{Port: 8080}}, mappedAt("11.218.0.2", 8080, time.Time{}), "http://mms.example.org:8080"},
		{"dns", Config{Portmap: &portmap.Config{Port: 8080}, DNS: &dyndns.Config{Service: svc}}, mappedAt("11.218.0.2", 8081, time.Time{}), "http://mybox:8081"},
		{"dns before mapping", Config{Portmap: &portmap.Config{Port: 8080, ExternalPort: 80}, DNS: &dyndns.Config{Service: svc}}, portmap.Status{}, "http://mybox"},
		{"address", Config{Portmap: &portmap.Config{Port: 8080}}, mappedAt("11.218.0.2", 8080, time.Time{}), "http://11.218.0.2:8080"},
		{"cgnat", Config{Portmap: &portmap.Config{Port: 8080}}, mappedAt("100.64.0.9", 8080, time.Time{}), ""},
		{"off", Config{}, portmap.Status{}, ""},
	} {
		tc.cfg.IPv6, tc.cfg.Logger = noIPv6, quiet
		r, err := New(tc.cfg)
		if err != nil {
			t.Fatal(err)
		}
		r.mapped(tc.st)
		if got := r.PublicURL(); got != tc.want {
			t.Errorf("%s: PublicURL %q, want %q", tc.name, got, tc.want)
		}
	}
	if _, err := New(Config{DNS: &dyndns.Config{Service: svc}}); err != ErrDNSNeedsPortmap {
		t.Errorf("DNS without port mapping: err %v", err)
	}
}

// TestVerdict: a NAT or a failed mapping is unreachable until a phone
// proves otherwise; a self-test older than the mapping does not count.
func TestVerdict(t *testing.T) {
	now := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)
	pub := mappedAt("11.218.0.2", 8080, now)
	cg := mappedAt("100.64.0.9", 8080, now)
	failed := portmap.Status{State: portmap.Failed, Err: "no UPnP Internet Gateway Device answered", Since: now}
	for _, tc := range []struct {
		name    string
		s       Status
		want    Verdict
		trouble string
	}{
		{"off", Status{}, Off, ""},
		{"mapped", Status{Mapping: &pub}, Unknown, ""},
		{"cgnat", Status{Mapping: &cg}, Unreachable, "CGNAT"},
		{"failed", Status{Mapping: &failed}, Unreachable, "NO PORT MAP"},
		{"fetched", Status{Mapping: &pub, Check: Check{Time: now.Add(time.Minute), Reachable: true}}, Reachable, ""},
		{"not fetched", Status{Mapping: &pub, Check: Check{Time: now.Add(time.Minute)}}, Unreachable, "UNREACHABLE"},
		{"stale check", Status{Mapping: &pub, Check: Check{Time: now.Add(-time.Minute), Reachable: true}}, Unknown, ""},
		{"check without mapping", Status{Check: Check{Time: now}}, Unreachable, "UNREACHABLE"},
	} {
		if got := tc.s.Verdict(); got != tc.want {
			t.Errorf("%s: verdict %v, want %v", tc.name, got, tc.want)
		}
		if got := tc.s.Trouble(); got != tc.trouble {
			t.Errorf("%s: trouble %q, want %q", tc.name, got, tc.trouble)
		}
	}
}

// TestRows: the status page names the router's public address, and
// carrier-grade NAT with its advice as bad news.
func TestRows(t *testing.T) {
	cg := mappedAt("100.64.0.9", 8080, time.Now())
	rows := Status{Mapping: &cg, IPv6: netip.MustParseAddr("2001:db8::2")}.Rows()
	var text string
	bad := false
	for _, r := range rows {
		text += r.Label + ": " + r.Value + "\n"
		if r.Label == "Public address" {
			bad = r.Bad
		}
	}
	for _, want := range []string{"Public address: 100.64.0.9 (carrier-grade NAT)", "Ask the provider", "IPv6: 2001:db8::2", "Port mapping: NAT-PMP at 10.218.0.1: port 8080"} {
		if !strings.Contains(text, want) {
			t.Errorf("rows lack %q:\n%s", want, text)
		}
	}
	if !bad {
		t.Error("carrier-grade NAT not marked bad")
	}
	if p := (Status{Mapping: &cg}).Problems(); len(p) != 1 || !strings.Contains(p[0], "Carrier-grade NAT") {
		t.Errorf("problems %q", p)
	}
}

// TestOutsideCheck: after the router reports an address, the outside
// check runs; an address the internet sees differently is a double
// NAT, in the rows, the problems and the verdict.
func TestOutsideCheck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		seen := netip.MustParseAddr("12.0.0.5")
		calls := 0
		r, err := New(Config{Portmap: &portmap.Config{Port: 8080}, IPv6: noIPv6, Logger: quiet,
			OutsideCheck: func(context.Context) (netip.Addr, error) { calls++; return seen, nil }})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go r.outsideChecks(ctx)
		st := mappedAt("11.218.0.2", 8080, time.Now())
		r.mapped(st)
		synctest.Wait()
		r.mapped(st) // a renewal with the same address: no second check
		synctest.Wait()
		if calls != 1 {
			t.Fatalf("%d outside checks, want 1", calls)
		}
		s := r.Status()
		s.Mapping = &st // the Mapper itself is not running here
		if s.Verdict() != Unreachable || s.Trouble() != "DOUBLE NAT" || len(s.Problems()) != 1 || !strings.Contains(s.Problems()[0], "12.0.0.5") {
			t.Errorf("verdict %v, trouble %q, problems %q", s.Verdict(), s.Trouble(), s.Problems())
		}
		seen = st.External
		r.mapped(mappedAt("11.218.0.3", 8080, time.Now()))
		r.mapped(st)
		synctest.Wait()
		s = r.Status()
		s.Mapping = &st
		if s.Verdict() != Unknown || len(s.Problems()) != 0 {
			t.Errorf("same address: verdict %v, problems %q", s.Verdict(), s.Problems())
		}
	})
}

// TestOutsideAddr reads a plain-text address and refuses anything else.
func TestOutsideAddr(t *testing.T) {
	for body, want := range map[string]string{"11.218.0.2\n": "11.218.0.2", "<html>": "", "": ""} {
		c := &http.Client{Transport: answer(body)}
		got, err := OutsideAddr(c, "http://check.example/")(t.Context())
		if (want == "") != (err != nil) || want != "" && got.String() != want {
			t.Errorf("%q: %v, %v", body, got, err)
		}
	}
}

// answer is a transport whose every reply is body.
type answer string

func (a answer) RoundTrip(*http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	rec.WriteString(string(a))
	return rec.Result(), nil
}
