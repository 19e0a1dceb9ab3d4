// Package clock tells whether the system clock can be trusted.
//
// A Raspberry Pi has no battery-backed real-time clock: it boots at the
// epoch, or at the time fake-hwclock saved at the last shutdown, and only
// learns the real time once NTP (systemd-timesyncd, chrony or ntpd) has
// synchronised it. Times stamped before that are wrong, so whoever stamps a
// time records whether the clock was synchronised when it did.
//
// Synced asks the kernel with adjtimex(2) in read-only mode (modes = 0),
// which needs no privilege (CAP_SYS_TIME is only needed to change the
// clock) and works inside the default Docker and systemd sandboxes. The
// NTP daemons clear STA_UNSYNC in the kernel's status word once they have
// disciplined the clock; the kernel sets it again, and lets maxerror grow
// to its 16 s ceiling (NTP_PHASE_LIMIT), when no daemon has updated it for
// a while. The clock counts as synchronised when adjtimex succeeds, does
// not return TIME_ERROR, STA_UNSYNC is clear and maxerror is below
// MaxError. Any error counts as not synchronised.
//
// Watch logs each change of that state (polled every Poll), so the
// journal shows when new messages started to get a trusted time.
//
// # Specs
//
//   - adjtimex(2), Linux man-pages: struct timex, STA_UNSYNC, TIME_ERROR.
//   - RFC 5905 §7.3 (NTPv4 maximum error / dispersion) for the meaning of
//     maxerror.
package clock
