// Package modem runs a USB GSM modem for SMS: the start-up sequence, the
// registration and signal status, sending SMS-SUBMIT PDUs, and keeping the
// port open across unplug and re-plug.
//
// [Start] brings a freshly opened port to a state where it can send:
// "AT" until it answers (a modem may still be booting), ATE0 (echo off,
// although the engine copes with echo), AT+CMEE=1 (numeric errors; a
// modem that refuses it, or later answers verbosely, is handled too),
// AT+CPIN? and — when the SIM asks for it — the configured PIN, entered
// exactly once: a rejected PIN is never retried, since the SIM locks
// after three. After the PIN the SIM is busy for a while (+CME ERROR: 14,
// +CMS ERROR: 314); commands are repeated with growing pauses until it is
// ready. Then PDU mode (AT+CMGF=0), and probes that only inform the
// status and may fail: model (+CGMM), service centre (+CSCA?, also in
// UCS2 hex), registration, signal (+CSQ), operator (+COPS?).
//
// Registration is read from +CREG, +CGREG and +CEREG together: LTE-only
// sticks report "+CREG: 0,0" while +CEREG says registered, and 27.007 has
// "SMS only" states. Any of stat 1, 5, 6, 7, 9, 10 counts as able to send
// SMS. The unsolicited forms update the status as they come.
//
// A [Device] keeps a [Session] alive: it opens the configured port (or,
// for "auto", probes candidate ports in order), watches it, and reopens
// with back-off when it reports EOF or ENODEV, when two health pings go
// unanswered, or when two sends in a row time out. [Temporary] sorts send
// errors into those worth retrying and those that are not.
//
// # Specs
//
//   - 3GPP TS 27.007 §7.2 (+CREG), §8.3 (+CPIN), §8.5 (+CSQ), §9.2 (+CME
//     ERROR), §10.1.20 (+CGREG), §10.1.22 (+CEREG)
//   - 3GPP TS 27.005 §3.2.5 (+CMS ERROR), §3.3.1 (+CSCA), §3.2.3 (+CMGF),
//     §3.5.1 (+CMGS)
//   - 3GPP TS 24.011 §8.2.5.4 and 23.040 §9.2.3.22 (RP and TP causes)
package modem
