package main

import (
	"strings"
	"testing"
	"time"
)

func TestSelfTestNeedsLAN(t *testing.T) {
	o, err := parseOptions([]string{"-self-test", "Ben"}, func(string) string { return "" }, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out testWriter
	if code := runSelfTest(t.Context(), o.deliverOpts, &out); code != 2 {
		t.Errorf("-self-test without -lan: exit %d, want 2; %s", code, out)
	}
}

type testWriter []byte

func (w *testWriter) Write(p []byte) (int, error) { *w = append(*w, p...); return len(p), nil }

func TestDeliveryOffReason(t *testing.T) {
	if s := deliveryOff(deliverOptions{}, modemRun{}, nil); !strings.Contains(s, "-public-url") {
		t.Errorf("no -public-url: %q", s)
	}
	if s := deliveryOff(deliverOptions{publicURL: "http://x.example"}, modemRun{}, nil); !strings.Contains(s, "-modem") {
		t.Errorf("no modem: %q", s)
	}
	if inboxSelfTest(nil, time.Minute) != nil {
		t.Error("a self-test func while delivery is off")
	}
}
