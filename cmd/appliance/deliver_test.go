package main

import (
	"testing"
	"time"
)

func TestDeliverFlags(t *testing.T) {
	var o deliverOptions
	for _, tt := range []struct {
		in   string
		want time.Duration
	}{{"7d", 7 * 24 * time.Hour}, {"36h", 36 * time.Hour}, {"1d12h", 36 * time.Hour}} {
		if err := (daysValue{&o.expiry}).Set(tt.in); err != nil || o.expiry != tt.want {
			t.Errorf("-expiry %s = %v, %v; want %v", tt.in, o.expiry, err, tt.want)
		}
	}
	for _, bad := range []string{"", "7", "d", "-1d", "30m", "400d", "1x"} {
		if err := (daysValue{&o.expiry}).Set(bad); err == nil {
			t.Errorf("-expiry %q accepted", bad)
		}
	}
	v := durationsValue{&o.renotify}
	if err := v.Set("10m,1h,6h,1d"); err != nil || v.String() != "10m,1h,6h,1d" {
		t.Errorf("-renotify: %q, %v", v.String(), err)
	}
	for _, bad := range []string{"", "10s", "10m,,1h"} {
		if err := v.Set(bad); err == nil {
			t.Errorf("-renotify %q accepted", bad)
		}
	}
	u := publicURLValue{&o.publicURL}
	if err := u.Set("http://mms.example.org:8080/"); err != nil || o.publicURL != "http://mms.example.org:8080" {
		t.Errorf("-public-url: %q, %v", o.publicURL, err)
	}
	for _, bad := range []string{"mms.example.org", "ftp://x", "http://", "http://x/?a=b", "http://u:p@x"} {
		if err := u.Set(bad); err == nil {
			t.Errorf("-public-url %q accepted", bad)
		}
	}
}

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
