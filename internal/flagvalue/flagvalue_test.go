package flagvalue

import (
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"1048576": 1 << 20, "300K": 300 << 10, "300k": 300 << 10, "300KiB": 300 << 10, "300KB": 300 << 10,
		"2M": 2 << 20, "2MiB": 2 << 20, " 5M ": 5 << 20, "1G": 1 << 30, "0": 0,
	} {
		got, err := ParseSize(in)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "M", "1.5M", "1T", "-5", "0x10", "1 0K", "9223372036854775807G"} {
		if n, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", in, n)
		}
	}
	for n, want := range map[int64]string{0: "0", 1000: "1000", 300 << 10: "300K", 5 << 20: "5M", 2 << 30: "2G"} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestDaysDurationsBaseURL(t *testing.T) {
	var o struct {
		expiry    time.Duration
		renotify  []time.Duration
		publicURL string
	}
	for _, tt := range []struct {
		in   string
		want time.Duration
	}{{"7d", 7 * 24 * time.Hour}, {"36h", 36 * time.Hour}, {"1d12h", 36 * time.Hour}} {
		if err := (Days{&o.expiry}).Set(tt.in); err != nil || o.expiry != tt.want {
			t.Errorf("Days %s = %v, %v; want %v", tt.in, o.expiry, err, tt.want)
		}
	}
	for _, bad := range []string{"", "7", "d", "-1d", "30m", "400d", "1x"} {
		if err := (Days{&o.expiry}).Set(bad); err == nil {
			t.Errorf("Days %q accepted", bad)
		}
	}
	v := Durations{&o.renotify}
	if err := v.Set("10m,1h,6h,1d"); err != nil || v.String() != "10m,1h,6h,1d" {
		t.Errorf("Durations: %q, %v", v.String(), err)
	}
	for _, bad := range []string{"", "10s", "10m,,1h"} {
		if err := v.Set(bad); err == nil {
			t.Errorf("Durations %q accepted", bad)
		}
	}
	u := BaseURL{&o.publicURL}
	if err := u.Set("http://mms.example.org:8080/"); err != nil || o.publicURL != "http://mms.example.org:8080" {
		t.Errorf("BaseURL: %q, %v", o.publicURL, err)
	}
	for _, bad := range []string{"mms.example.org", "ftp://x", "http://", "http://x/?a=b", "http://u:p@x"} {
		if err := u.Set(bad); err == nil {
			t.Errorf("BaseURL %q accepted", bad)
		}
	}
}
