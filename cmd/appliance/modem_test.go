package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/homemmsc/homemmsc/internal/modem/modemtest"
)

// -modem-test sends one SMS through the real serial path and prints every
// AT exchange.
func TestModemTestFlag(t *testing.T) {
	m := modemtest.New(t)
	var out bytes.Buffer
	code := runModemTest(context.Background(), m.Link(), modemOptions{testTo: "+15550001111", testText: "hello from the appliance"}, &out)
	if code != 0 {
		t.Fatalf("exit %d; output:\n%s", code, out.String())
	}
	for _, want := range []string{`> "AT"`, `< "OK"`, `> "AT+CPIN?"`, `< "+CPIN: READY"`, `> "AT+CMGS=`, `< "+CMGS: 1"`, "part 1/1 accepted"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %s:\n%s", want, out.String())
		}
	}
	if got := m.Texts(); len(got) != 1 || got[0] != "+15550001111: hello from the appliance" {
		t.Errorf("modem got %q", got)
	}
}

func TestModemTestNeedsModem(t *testing.T) {
	var out bytes.Buffer
	if code := runModemTest(context.Background(), "none", modemOptions{testTo: "+15550001111"}, &out); code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
}
