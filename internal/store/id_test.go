package store

import (
	"math"
	"testing"
	"time"
)

func TestIDRoundTrip(t *testing.T) {
	tests := []struct {
		t    time.Time
		seq  uint64
		want string
	}{
		{t0, 1, "20261126-195454-000001"},
		{t0.In(time.FixedZone("CET", 3600)), 42, "20261126-195454-000042"}, // always UTC
		{time.Unix(0, 0), 1234567, "19700101-000000-1234567"},
		{time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC), 7, "00010101-000000-000007"}, // absurd clock keeps the shape
		{t0, math.MaxUint64, "20261126-195454-18446744073709551615"},
	}
	for _, tt := range tests {
		id := makeID(tt.t, tt.seq)
		if id != tt.want {
			t.Errorf("makeID(%v, %d) = %q, want %q", tt.t, tt.seq, id, tt.want)
		}
		seq, err := parseID(id)
		if err != nil || seq != tt.seq {
			t.Errorf("parseID(%q) = %d, %v", id, seq, err)
		}
	}
}
