package sms

import (
	"testing"

	"github.com/homemmsc/homemmsc/internal/modem/sms/smstest"
)

// oracle has libGammu (internal/modem/sms/smstest) decode groups of PDUs.
func oracle(t *testing.T, groups [][]PDU) []smstest.Result {
	t.Helper()
	in := make([][]string, len(groups))
	for i, g := range groups {
		for _, p := range g {
			in[i] = append(in[i], p.Hex())
		}
	}
	return smstest.Gammu(t, in)
}
