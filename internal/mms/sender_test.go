package mms

import "testing"

// TestSender: OMA-MMS-ENC §8's addresses name a sender; free text, a
// display name or a malformed address does not.
func TestSender(t *testing.T) {
	for _, c := range []struct {
		from, want string
		ok         bool
	}{
		{"+1 (555) 123-4567/TYPE=PLMN", "+15551234567", true},
		{"192.0.2.7/TYPE=IPv4", "192.0.2.7", true},
		{"2001:DB8::1/TYPE=IPv6", "2001:db8::1", true},
		{"anna@example.org", "anna@example.org", true},
		{"<b>+1555</b><script>alert(1)</script>", "", false},
		{"Anna <anna@example.org>", "", false},
		{"999.0.2.7/TYPE=IPv4", "", false},
		{"::1/TYPE=IPv4", "", false},
		{"fe80::1%eth0/TYPE=IPv6", "", false},
		{"anna/TYPE=PLMN", "", false},
		{"Anna's phone", "", false},
		{"", "", false},
	} {
		got, ok := Address{Value: EncodedString{Raw: []byte(c.from)}}.Sender()
		if got != c.want || ok != c.ok {
			t.Errorf("Sender(%q) = %q, %v; want %q, %v", c.from, got, ok, c.want, c.ok)
		}
		if ok && !ValidSender(got) {
			t.Errorf("ValidSender(%q) = false for what Sender returned", got)
		}
	}
	if _, ok := (Address{Insert: true}).Sender(); ok {
		t.Error("the insert-address token names a sender")
	}
	for _, s := range []string{"+15551234567", "0612345678", "192.0.2.7/TYPE=IPv4", "2001:db8::1", "a@example.org"} {
		if !ValidSender(s) {
			t.Errorf("ValidSender(%q) = false", s)
		}
	}
	for _, s := range []string{"", "+", "<b>+1555</b>", "Anna", "+1 555", "Anna <a@example.org>"} {
		if ValidSender(s) {
			t.Errorf("ValidSender(%q) = true", s)
		}
	}
}
