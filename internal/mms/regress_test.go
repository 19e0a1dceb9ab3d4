package mms

import "testing"

// Inputs the fuzzer found, each a named regression test run through the
// same checks as FuzzDecode.
func TestFuzzRegressions(t *testing.T) {
	for _, tc := range []struct{ name, hex string }{
		// A Transaction-Id quoted with 0x7F whose first octet is a
		// control octet (0x1F) was re-encoded without the quote and read
		// back as a Length-quote.
		{"TextStartingWithControlOctet", `8C 81 98 7F 1F 00`},
	} {
		t.Run(tc.name, func(t *testing.T) { checkDecode(t, unhex(t, tc.hex)) })
	}
}
