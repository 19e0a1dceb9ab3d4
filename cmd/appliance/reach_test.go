package main

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReachFlags: -dyndns is read inline or from a file (comments
// skipped), needs -portmap, and a loopback -listen cannot be mapped.
func TestReachFlags(t *testing.T) {
	file := filepath.Join(t.TempDir(), "dyndns")
	os.WriteFile(file, []byte("# DuckDNS\n\nduckdns:https://www.duckdns.org/update?domains=mybox&token=tok\n"), 0o600)
	o, err := parseOptions([]string{"-portmap", "auto", "-dyndns", "@" + file}, env(), &bytes.Buffer{})
	if err != nil || o.reachOpts.dns == nil || o.reachOpts.dns.Name() != "mybox" {
		t.Fatalf("-dyndns @file: %+v, %v", o.reachOpts.dns, err)
	}
	for _, bad := range [][]string{
		{"-portmap", "sometimes"},
		{"-portmap-port", "70000"},
		{"-dyndns", "dyndns2:https://members.example.org/nic/update"},
	} {
		if _, err := parseOptions(bad, env(), &bytes.Buffer{}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	o, err = parseOptions([]string{"-dyndns", "@" + file}, env(), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newReach(o.reachOpts, reachDeps{listen: &net.TCPAddr{Port: 8080}}, nil); err == nil || !strings.Contains(err.Error(), "needs -portmap") {
		t.Errorf("-dyndns without -portmap: %v", err)
	}
	o.reachOpts.portmap = "auto"
	if _, err := newReach(o.reachOpts, reachDeps{listen: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}}, nil); err == nil || !strings.Contains(err.Error(), "serves this machine only") {
		t.Errorf("-portmap with a loopback -listen: %v", err)
	}
	if r, err := newReach(reachOptions{portmap: "off"}, reachDeps{}, nil); r != nil || err != nil {
		t.Errorf("all off: %v, %v", r, err)
	}
}
