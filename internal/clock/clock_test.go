package clock

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestDecide(t *testing.T) {
	tests := []struct {
		name     string
		state    int
		status   int32
		maxerror int64
		want     bool
	}{
		{"synced", unix.TIME_OK, 0x2001 /* STA_PLL|STA_NANO */, 12_000, true},
		{"boot: unsync, maxerror at ceiling", unix.TIME_ERROR, unix.STA_UNSYNC, 16_000_000, false},
		{"unsync bit with small maxerror", unix.TIME_OK, unix.STA_UNSYNC, 10, false},
		{"time error state", unix.TIME_ERROR, 0, 10, false},
		{"maxerror grown past limit", unix.TIME_OK, 0, MaxError, false},
		{"maxerror just under limit", unix.TIME_OK, 0, MaxError - 1, true},
		{"negative maxerror", unix.TIME_OK, 0, -1, false},
		{"leap second pending still synced", 1 /* TIME_INS */, 0x10 /* STA_INS */, 500, true},
	}
	for _, tt := range tests {
		if got := decide(tt.state, tt.status, tt.maxerror); got != tt.want {
			t.Errorf("%s: decide(%d, %#x, %d) = %v, want %v", tt.name, tt.state, tt.status, tt.maxerror, got, tt.want)
		}
	}
}

// TestSyncedAgreesWithKernel checks Synced against a direct adjtimex read:
// it cannot know the machine's NTP state in advance, so it checks that
// Synced reports what decide says about the kernel's own values.
func TestSyncedAgreesWithKernel(t *testing.T) {
	var tx unix.Timex
	state, err := unix.Adjtimex(&tx)
	if err != nil {
		t.Skipf("adjtimex unavailable here (%v); Synced returns false", err)
	}
	want := decide(state, tx.Status, int64(tx.Maxerror))
	if got := Synced(); got != want {
		// The NTP daemon may have changed the state between the two reads.
		if got2 := Synced(); got2 != want {
			t.Fatalf("Synced() = %v, decide on kernel values = %v", got2, want)
		}
	}
	t.Logf("kernel: state=%d status=%#x maxerror=%dµs synced=%v", state, tx.Status, tx.Maxerror, want)
}
