package netaddr

import (
	"net"
	"testing"
)

func TestWithHost(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:8080": "127.0.0.1:8080", "0.0.0.0:80": "<this-host>:80", "[::]:8080": "<this-host>:8080",
		":8080": "<this-host>:8080", "192.168.1.5:8080": "192.168.1.5:8080",
	} {
		if got := WithHost(in, "<this-host>"); got != want {
			t.Errorf("WithHost(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLoopback(t *testing.T) {
	for in, want := range map[string]string{
		"[::]:8080":      "127.0.0.1:8080",
		"0.0.0.0:80":     "127.0.0.1:80",
		":8080":          "127.0.0.1:8080",
		"10.0.0.5:8080":  "10.0.0.5:8080",
		"[::1]:8080":     "[::1]:8080",
		"no-port-at-all": "no-port-at-all",
	} {
		if got := Loopback(in); got != want {
			t.Errorf("Loopback(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPickLAN(t *testing.T) {
	addrs := []net.Addr{
		&net.IPNet{IP: net.ParseIP("127.0.0.1"), Mask: net.CIDRMask(8, 32)},
		&net.IPNet{IP: net.ParseIP("fe80::1"), Mask: net.CIDRMask(64, 128)},
		&net.IPNet{IP: net.ParseIP("203.0.113.5"), Mask: net.CIDRMask(24, 32)},
		&net.IPNet{IP: net.ParseIP("192.168.1.20"), Mask: net.CIDRMask(24, 32)},
	}
	if ip := pickLAN(addrs); !ip.Equal(net.ParseIP("192.168.1.20")) {
		t.Errorf("pickLAN = %v, want the private address", ip)
	}
	if ip := pickLAN(addrs[:3]); !ip.Equal(net.ParseIP("203.0.113.5")) {
		t.Errorf("pickLAN without a private address = %v", ip)
	}
	if got := LAN("127.0.0.1:8080"); got != "127.0.0.1:8080" {
		t.Errorf("LAN kept a specific host as %q", got)
	}
}
