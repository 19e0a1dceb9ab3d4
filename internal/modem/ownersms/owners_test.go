package ownersms

import (
	"strings"
	"testing"
)

func TestParseOwners(t *testing.T) {
	got, err := ParseOwners(" +15550001111, 0612 345 678 ,,")
	if err != nil || strings.Join(got, "|") != "+15550001111|0612345678" {
		t.Errorf("got %q, %v", got, err)
	}
	if _, err := ParseOwners("+1555abc"); err == nil {
		t.Error("a number with letters was accepted")
	}
}
