package phones

import (
	"errors"
	"strings"
	"testing"
)

const (
	tokA = "Q2xhcmEtcGhvbmUtdG9rZW4"
	tokB = "x9_Kd-3mPq7ZtW2vLr8n"
)

func TestParsePhone(t *testing.T) {
	tests := []struct {
		in   string
		want Phone
		err  error
	}{
		{"Anna:+15551234567:" + tokA, Phone{Name: "Anna", Number: "+15551234567", Token: tokA}, nil},
		{"  Anna's old phone : 0612345678 : " + tokB + " ", Phone{Name: "Anna's old phone", Number: "0612345678", Token: tokB}, nil},
		{"Work: desk:+4930123456:" + tokA, Phone{Name: "Work: desk", Number: "+4930123456", Token: tokA}, nil},
		{"Anna:+15551234567", Phone{}, ErrBadPhone},
		{tokA, Phone{}, ErrBadPhone},
		{":+15551234567:" + tokA, Phone{}, ErrBadPhone},
		{"Anna\x07:+15551234567:" + tokA, Phone{}, ErrBadPhone},
		{"Anna:12:" + tokA, Phone{}, ErrBadNumber},
		{"Anna:+1555-123:" + tokA, Phone{}, ErrBadNumber},
		{"Anna:++15551234567:" + tokA, Phone{}, ErrBadNumber},
		{"Anna:+15551234567:short", Phone{}, ErrWeakToken},
		{"Anna:+15551234567:aaaaaaaaaaaaaaaaaaaa", Phone{}, ErrWeakToken},
		{"Anna:+15551234567:abababababababababab", Phone{}, ErrWeakToken},
		{"Anna:+15551234567:Q2xhcmEtcGhvbmUt/../x", Phone{}, ErrWeakToken},
		{"Anna:+15551234567:Q2xhcmEtcGhvbmUt%2Fx", Phone{}, ErrWeakToken},
		{"Anna:+15551234567:" + strings.Repeat(tokA, 6), Phone{}, ErrWeakToken},
	}
	for _, tt := range tests {
		got, err := ParsePhone(tt.in)
		if !errors.Is(err, tt.err) {
			t.Errorf("ParsePhone(%q) error = %v, want %v", tt.in, err, tt.err)
			continue
		}
		if err == nil && got != tt.want {
			t.Errorf("ParsePhone(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestParsePhonesInline(t *testing.T) {
	got, err := ParsePhones("Anna:+15551234567:" + tokA + ", ,Ben:+15557654321:" + tokB + ",")
	if err != nil {
		t.Fatal(err)
	}
	want := []Phone{{Name: "Anna", Number: "+15551234567", Token: tokA}, {Name: "Ben", Number: "+15557654321", Token: tokB}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if got, err := ParsePhones(""); err != nil || len(got) != 0 {
		t.Fatalf("empty list: %v, %v", got, err)
	}
}

func TestParsePhonesRefusesDuplicates(t *testing.T) {
	for _, list := range []string{
		"Anna:+15551234567:" + tokA + ",Ben:+15557654321:" + tokA,
		"Anna:+15551234567:" + tokA + ",Ben:+15551234567:" + tokB,
	} {
		if _, err := ParsePhones(list); !errors.Is(err, ErrDupPhone) {
			t.Errorf("ParsePhones(%q) error = %v, want ErrDupPhone", list, err)
		}
	}
}

func TestParsePhonesErrorNamesEntry(t *testing.T) {
	_, err := ParsePhones("Anna:+15551234567:" + tokA + ",Ben:+15557654321:weak")
	if !errors.Is(err, ErrWeakToken) || !strings.Contains(err.Error(), "entry 2") ||
		!strings.Contains(err.Error(), "urandom") {
		t.Fatalf("error = %v, want ErrWeakToken naming entry 2 and how to make a token", err)
	}
}

func TestReadPhones(t *testing.T) {
	file := "# paired phones\n\nAnna, at home:+15551234567:" + tokA + "\n  # old one\nBen:+15557654321:" + tokB + "\n"
	got, err := ReadPhones(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "Anna, at home" || got[1].Token != tokB {
		t.Fatalf("got %+v", got)
	}
	_, err = ReadPhones(strings.NewReader("# x\nAnna:+15551234567:" + tokA + "\nbroken line\n"))
	if !errors.Is(err, ErrBadPhone) || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("error = %v, want ErrBadPhone at line 3", err)
	}
	_, err = ReadPhones(strings.NewReader(strings.Repeat("x", 5000)))
	if !errors.Is(err, ErrBadPhone) {
		t.Fatalf("overlong line: error = %v, want ErrBadPhone", err)
	}
}

func TestCheckPhonesLimit(t *testing.T) {
	phones := make([]Phone, MaxPhones+1)
	if err := CheckPhones(phones); !errors.Is(err, ErrTooManyPhones) {
		t.Fatalf("error = %v, want ErrTooManyPhones", err)
	}
}

func TestValidNumber(t *testing.T) {
	for s, want := range map[string]bool{
		"+15551234567": true, "123": true, "+12345678901234567890": true,
		"12": false, "+123456789012345678901": false, "": false, "+": false,
		"../x": false, "123\n": false, "١٢٣": false, "+1 555": false, "1e5": false,
	} {
		if got := ValidNumber(s); got != want {
			t.Errorf("ValidNumber(%q) = %v, want %v", s, got, want)
		}
	}
}
