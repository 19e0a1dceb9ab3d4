package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/homemmsc/homemmsc/internal/metrics"
)

func TestLANRoutes(t *testing.T) {
	reg := metrics.NewRegistry()
	reg.Counter("x_total", "x").Inc()
	healthz := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"status":"ok"}`)) })
	h := newLANHandler(lanDeps{health: healthz, metrics: reg})
	for path, want := range map[string]int{"/healthz": 200, "/metrics": 200, "/": 200, "/mms": 404, "/inbox": 404} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != want {
			t.Errorf("GET %s: %d, want %d", path, rec.Code, want)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if b := rec.Body.String(); !strings.Contains(b, "/healthz") || !strings.Contains(b, "/metrics") {
		t.Errorf("index %q does not list the endpoints", b)
	}
	inbox := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("inbox " + r.URL.Path)) })
	h = newLANHandler(lanDeps{health: healthz, metrics: reg, inbox: inbox})
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/m/123", nil))
	if rec.Body.String() != "inbox /m/123" {
		t.Errorf("with an inbox, /m/123 got %q", rec.Body)
	}
}

func TestLANOptions(t *testing.T) {
	o := parse(t, nil, env())
	l := o.lanOpts
	if l.addr != "" || l.rate != defaultRate || l.burst != defaultRateBurst || l.perClient != 16 || l.allowFunc() != nil {
		t.Errorf("defaults: %+v", l)
	}
	allowFile := filepath.Join(t.TempDir(), "allow")
	os.WriteFile(allowFile, []byte("# family\n+44 7700 900123\n"), 0o600)
	o = parse(t, []string{"-lan", "192.168.1.50:8081", "-rate", "0.5", "-rate-burst", "5", "-allow", "@" + allowFile},
		env("HOMEMMSC_CONNS_PER_CLIENT", "4"))
	l = o.lanOpts
	if l.addr != "192.168.1.50:8081" || l.rate != 0.5 || l.burst != 5 || l.perClient != 4 || l.allow.Len() != 1 {
		t.Errorf("set: %+v", l)
	}
	if f := l.allowFunc(); f == nil || !f("+447700900123") || f("+15550000000") {
		t.Error("the -allow file is not what Allow checks")
	}
	if g, conns := l.guards(); conns.PerClient != 4 || g.Rate != 0.5 || g.Burst != 5 {
		t.Errorf("guards %+v %+v", g, conns)
	}
	l = parse(t, []string{"-conns-per-client=0"}, env()).lanOpts
	if _, conns := l.guards(); conns.PerClient < 256 {
		t.Errorf("-conns-per-client=0 leaves a per-client cap of %d", conns.PerClient)
	}
	for _, bad := range [][]string{
		{"-rate", "-1"}, {"-rate", "NaN"}, {"-rate-burst", "0"}, {"-conns-per-client", "-1"},
		{"-allow", "+1555x"}, {"-allow", "@/nonexistent/allow"},
	} {
		if _, err := parseOptions(bad, env(), &bytes.Buffer{}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
