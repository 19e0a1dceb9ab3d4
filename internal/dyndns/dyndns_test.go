package dyndns_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/homemmsc/homemmsc/internal/dyndns"
)

var (
	addr1 = netip.MustParseAddr("11.218.0.2")
	addr2 = netip.MustParseAddr("11.218.0.3")
	addr3 = netip.MustParseAddr("11.218.0.4")
	addr6 = netip.MustParseAddr("2001:db8:218:1::2")
	none  netip.Addr
)

// handlerTransport serves requests from a handler in memory, so that
// the tests run inside a synctest bubble.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

// failTransport fails every request, as an unreachable service does.
type failTransport struct{}

func (failTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("connection refused")
}

func newUpdater(t *testing.T, spec string, rt http.RoundTripper) *dyndns.Updater {
	t.Helper()
	svc, err := dyndns.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	u, err := dyndns.New(dyndns.Config{Service: svc, Client: &http.Client{Transport: rt},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

const dyn2Spec = "dyndns2:https://owner:s3cret%3Apw@members.example.org/nic/update?hostname=mms.example.org"

// TestDynDNS2: an update per new address and none for the same one; a
// 911 waits 30 minutes, even for a newer address, then sends the newest.
func TestDynDNS2(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newDyn2Server("mms.example.org")
		u := newUpdater(t, dyn2Spec, handlerTransport{srv})
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go u.Run(ctx)
		step := func(v4 netip.Addr, wantCount int, wantState dyndns.State) {
			t.Helper()
			u.Set(v4, none)
			synctest.Wait()
			if n, st := srv.count(), u.Status(); n != wantCount || st.State != wantState {
				t.Fatalf("after Set(%v): %d requests, state %v (%s); want %d, %v", v4, n, st.State, st.Err, wantCount, wantState)
			}
		}
		step(addr1, 1, dyndns.Current)
		if got := srv.addr("mms.example.org"); got != addr1.String() {
			t.Errorf("service has %q, want %v", got, addr1)
		}
		step(addr1, 1, dyndns.Current) // same address: no request (repeated nochg is abuse)
		step(addr2, 2, dyndns.Current)
		srv.setTrouble(true)
		step(addr3, 3, dyndns.Retrying)
		if st := u.Status(); st.Next.Sub(time.Now()) != 30*time.Minute || !strings.Contains(st.Err, "911") {
			t.Errorf("after 911: next try in %v, err %q; want 30m", st.Next.Sub(time.Now()), st.Err)
		}
		step(addr1, 3, dyndns.Retrying) // a new address waits out the 30 minutes too
		time.Sleep(29 * time.Minute)
		synctest.Wait()
		if n := srv.count(); n != 3 {
			t.Fatalf("%d requests within 30 minutes of a 911", n)
		}
		srv.setTrouble(false)
		time.Sleep(time.Minute)
		synctest.Wait()
		if n, st := srv.count(), u.Status(); n != 4 || st.State != dyndns.Current || srv.addr("mms.example.org") != addr1.String() {
			t.Errorf("after the wait: %d requests, state %v, service has %s; want 4, current, %v", n, st.State, srv.addr("mms.example.org"), addr1)
		}
	})
}

// TestRefused: an answer about the setting (badauth, nohost, notfqdn,
// KO) stops the updates: retrying cannot fix it and the services count
// it as abuse.
func TestRefused(t *testing.T) {
	for _, tc := range []struct{ name, spec, code string }{
		{"badauth", "dyndns2:https://owner:wrong@members.example.org/nic/update?hostname=mms.example.org", "badauth"},
		{"nohost", "dyndns2:https://owner:s3cret%3Apw@members.example.org/nic/update?hostname=other.example.org", "nohost"},
		{"notfqdn", "dyndns2:https://owner:s3cret%3Apw@members.example.org/nic/update?hostname=mms", "notfqdn"},
		{"KO", "duckdns:https://www.duckdns.example/update?domains=mybox&token=wrong", "KO"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := newDyn2Server("mms.example.org")
				var h http.Handler = srv
				if strings.HasPrefix(tc.spec, "duckdns") {
					h = &duckServer{token: "tok", domains: map[string][2]string{"mybox": {}}}
				}
				u := newUpdater(t, tc.spec, handlerTransport{h})
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				go u.Run(ctx)
				u.Set(addr1, none)
				synctest.Wait()
				st := u.Status()
				if st.State != dyndns.Stopped || !strings.Contains(st.Err, tc.code) {
					t.Fatalf("state %v, err %q; want stopped naming %s", st.State, st.Err, tc.code)
				}
				u.Set(addr2, none)
				time.Sleep(time.Hour)
				synctest.Wait()
				if n := srv.count(); n > 1 {
					t.Errorf("%d requests after a refusal", n)
				}
			})
		})
	}
}

// TestBackoff: an unreachable service is retried after 1, 2, 4 ...
// minutes, at most 30.
func TestBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		u := newUpdater(t, dyn2Spec, failTransport{})
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go u.Run(ctx)
		u.Set(addr1, none)
		var waits []time.Duration
		for range 7 {
			synctest.Wait()
			st := u.Status()
			if st.State != dyndns.Retrying {
				t.Fatalf("state %v, want retrying", st.State)
			}
			wait := st.Next.Sub(time.Now())
			waits = append(waits, wait)
			time.Sleep(wait)
		}
		want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 30 * time.Minute, 30 * time.Minute}
		for i := range want {
			if waits[i] != want[i] {
				t.Fatalf("waits %v, want %v", waits, want)
			}
		}
	})
}

// TestDuckDNS: both addresses go as ip= and ipv6=.
func TestDuckDNS(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &duckServer{token: "tok", domains: map[string][2]string{"mybox": {}}}
		u := newUpdater(t, "duckdns:https://www.duckdns.example/update?domains=mybox&token=tok", handlerTransport{srv})
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go u.Run(ctx)
		u.Set(addr1, addr6)
		synctest.Wait()
		if st := u.Status(); st.State != dyndns.Current || st.Name != "mybox" {
			t.Fatalf("status %+v", st)
		}
		if got := srv.domains["mybox"]; got != [2]string{addr1.String(), addr6.String()} {
			t.Errorf("service has %v", got)
		}
	})
}

// TestOverHTTP: one update through a real HTTP server: the credentials
// go as Basic authentication, not in the URL, with a User-Agent.
func TestOverHTTP(t *testing.T) {
	srv := newDyn2Server("mms.example.org")
	var auth, agent, query string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth, agent, query = r.Header.Get("Authorization"), r.UserAgent(), r.URL.RawQuery
		srv.ServeHTTP(w, r)
	}))
	defer ts.Close()
	svc, err := dyndns.Parse("dyndns2:http://owner:s3cret%3Apw@" + strings.TrimPrefix(ts.URL, "http://") + "/nic/update?hostname=mms.example.org")
	if err != nil {
		t.Fatal(err)
	}
	changed := make(chan dyndns.Status, 1)
	u, err := dyndns.New(dyndns.Config{Service: svc, UserAgent: "homemmsc - appliance - test",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), OnChange: func(s dyndns.Status) { changed <- s }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go u.Run(ctx)
	u.Set(addr1, none)
	select {
	case st := <-changed:
		if st.State != dyndns.Current {
			t.Fatalf("status %+v", st)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no update in 10 s")
	}
	if !strings.HasPrefix(auth, "Basic ") || agent != "homemmsc - appliance - test" || strings.Contains(query, "s3cret") {
		t.Errorf("Authorization %q, User-Agent %q, query %q", auth, agent, query)
	}
	if got := srv.addr("mms.example.org"); got != addr1.String() {
		t.Errorf("service has %q", got)
	}
}

func TestParse(t *testing.T) {
	for _, bad := range []string{
		"",
		"dyndns2",
		"ftp:https://x/nic/update",
		"dyndns2:https://members.example.org/nic/update?hostname=a.example.org", // no credentials
		"dyndns2:https://u:p@members.example.org/nic/update",                    // no hostname
		"duckdns:https://www.duckdns.org/update?domains=x",                      // no token
		"dyndns2:mailto:u@example.org",
	} {
		if _, err := dyndns.Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
	s, err := dyndns.Parse("duckdns:https://www.duckdns.org/update?domains=mybox&token=tok")
	if err != nil || s.Protocol != dyndns.DuckDNS || s.Name() != "mybox" {
		t.Errorf("Parse duckdns = %+v, %v", s, err)
	}
	s, err = dyndns.Parse(dyn2Spec)
	if err != nil || s.Protocol != dyndns.DynDNS2 || s.Name() != "mms.example.org" {
		t.Errorf("Parse dyndns2 = %+v, %v", s, err)
	}
}

// ReadSetting takes the first line that is not blank or a comment.
func TestReadSetting(t *testing.T) {
	want, err := dyndns.Parse("duckdns:https://www.duckdns.org/update?domains=x&token=t")
	if err != nil {
		t.Fatal(err)
	}
	got, err := dyndns.ReadSetting(strings.NewReader("# the owner's name\n\n  duckdns:https://www.duckdns.org/update?domains=x&token=t\nignored\n"))
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ReadSetting = %+v, %v; want %+v", got, err, want)
	}
	if _, err := dyndns.ReadSetting(strings.NewReader("# nothing\n")); err == nil {
		t.Error("a file without a setting accepted")
	}
}
