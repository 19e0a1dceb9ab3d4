package clock

import "golang.org/x/sys/unix"

// MaxError is the largest kernel maxerror, in microseconds, that still
// counts as synchronised. The kernel caps maxerror at 16 s
// (NTP_PHASE_LIMIT) when the clock is unsynchronised; a disciplined clock
// reports well under a second.
const MaxError = 1_000_000

// Synced reports whether the system clock is synchronised by NTP.
// It calls adjtimex(2) read-only; an error counts as not synchronised.
func Synced() bool {
	var tx unix.Timex // Modes is zero: read only
	state, err := unix.Adjtimex(&tx)
	if err != nil {
		return false
	}
	return decide(state, tx.Status, int64(tx.Maxerror))
}

// decide is the pure decision behind Synced: state is adjtimex's return
// value, status and maxerror (µs) come from struct timex.
func decide(state int, status int32, maxerror int64) bool {
	if state == unix.TIME_ERROR {
		return false
	}
	if status&unix.STA_UNSYNC != 0 {
		return false
	}
	return maxerror >= 0 && maxerror < MaxError
}
