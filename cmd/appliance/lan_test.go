package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

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
