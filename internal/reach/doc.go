// Package reach keeps the appliance reachable from the internet and
// says whether it is: it runs the port mapping (internal/portmap) and the
// dynamic DNS updater (internal/dyndns), gives the updater the addresses
// the router reports, works out the public URL phones can use, runs the
// reachability self-test after each change, and sums it all up for the
// status page (Rows), /healthz (Problems), the screen (Verdict, Trouble)
// and the log.
//
// # The public URL
//
// -public-url, when the owner sets it, wins: nothing found replaces it.
// Otherwise it is http://NAME:PORT with the dynamic DNS name, known from
// the start, and the port the router mapped; without a DNS name, the
// router's public address and port, once mapped. Behind carrier-grade or
// double NAT there is none.
//
// # Self-test after a change
//
// A new mapping, a new external address or port, or a DNS name updated
// to a new address calls for a self-test (SelfTest: the caller sends the
// test notification to the phones that allow it and waits for them to
// fetch). It runs once the changes have settled (2 minutes without
// another when there is a DNS name, so that caches see the new address;
// 10 s without one) and at most once an hour, since each one puts a test message on the owner's phones. Its
// result is the proof either way: Verdict is Reachable after a fetch,
// Unreachable after none; without one, a NAT or a failed mapping is
// Unreachable and a mapping is Unknown.
//
// # Outside check
//
// The router's own answer is the public address; no outside service is
// asked unless the owner names one (Config.OutsideCheck, OutsideAddr: a
// URL that answers the caller's address as plain text). Then it is asked
// after each change of the router's address, and an address the
// internet sees other than the router's is a NAT in front of the router:
// double NAT, Unreachable. The answer is read up to 64 bytes.
//
// When the owner configures the router by hand (no port mapping), all of
// this is off but -public-url and the self-test the owner starts.
package reach
