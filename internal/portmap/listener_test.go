package portmap

import (
	"net"
	"testing"
)

func TestListenerPort(t *testing.T) {
	for addr, want := range map[string]uint16{"0.0.0.0:8080": 8080, "192.168.1.5:80": 80, "[::]:8443": 8443} {
		a, _ := net.ResolveTCPAddr("tcp", addr)
		if got, err := ListenerPort(a); err != nil || got != want {
			t.Errorf("ListenerPort(%s) = %d, %v; want %d", addr, got, err, want)
		}
	}
	a, _ := net.ResolveTCPAddr("tcp", "127.0.0.1:8080")
	if _, err := ListenerPort(a); err == nil {
		t.Error("a loopback listener accepted")
	}
}
