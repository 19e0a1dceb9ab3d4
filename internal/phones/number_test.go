package phones

import "testing"

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"+44 7700 900123":        "+447700900123",
		"0044-7700-900123":       "+447700900123",
		"(0)7700 900.123":        "07700900123",
		"+15551234567/TYPE=PLMN": "+15551234567",
		"+1555/type=plmn":        "+1555",
		"anna@example.org":       "",
		"+":                      "",
		"1+2":                    "",
		"++15551234567":          "",
		"":                       "",
		"00":                     "00",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSameNumber(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"+447700900123", "07700900123", true},
		{"+447700900123", "0044 7700 900123", true},
		{"+447700900123/TYPE=PLMN", "+447700900123", true},
		{"+15551234567", "5551234567", true},
		{"+15551234567", "+15551234568", false},
		{"+15551234567", "+445551234567", false}, // both international: must be equal
		{"+15551234567", "1234567", true},        // 7 significant digits end it
		{"+15551234567", "234567", false},        // 6 are not enough
		{"+15551234567", "", false},
		{"anna@example.org", "anna@example.org", false},
		{"0612345678", "0612345678", true},
		{"0612345678", "+33612345678", true},
		{"0612345678", "+33612345679", false},
	}
	for _, tt := range tests {
		if got := SameNumber(tt.a, tt.b); got != tt.want {
			t.Errorf("SameNumber(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := SameNumber(tt.b, tt.a); got != tt.want {
			t.Errorf("SameNumber(%q, %q) = %v, want %v (swapped)", tt.b, tt.a, got, tt.want)
		}
	}
}
