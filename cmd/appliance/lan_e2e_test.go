package main_test

// End-to-end tests of the LAN listener and the MMSC listener's guards
// (issue 5): the real binary with -lan, /healthz and /metrics there and
// nowhere else, counters that follow what was posted, and the limits of
// the internet-facing listener.

// loadFromOneClient turns off the per-client guards for tests that post a
// load from one address (the loopback): the guards exist to refuse that.
var loadFromOneClient = []string{"-rate=0", "-conns-per-client=0"}
