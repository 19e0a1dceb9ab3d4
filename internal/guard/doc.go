// Package guard protects the internet-facing MMSC listener from clients
// that send too much, too often or too slowly: a per-client rate limit and
// a header-count cap (HTTP middleware), caps on open connections that
// make room for newcomers and a tarpit (a net.Listener wrapper), and a
// summary of refusals for the log; [Limits] reads the listener's flags
// into them, [LAN] guards the LAN listener the same way with a household's
// caps. Under siege from hundreds of
// addresses, a paired phone still gets through (cmd/appliance's
// TestSiege).
//
// # Who is a client
//
// A client is the TCP peer's address (http.Request.RemoteAddr): an IPv4
// address, or the /64 prefix of an IPv6 one, because a single IPv6 host
// usually owns a whole /64 and could otherwise take a fresh address for
// each request. Forwarding headers (X-Forwarded-For, Forwarded) are not
// read: the appliance is reached through a router's port forward, not a
// proxy, and any client can write them. Phones posting through one
// carrier's NAT share an address; the defaults leave room for a household.
//
// # Rate limit
//
// Each client has a token bucket: Burst tokens at most, refilled at Rate
// per second; a request takes one. A request that finds the bucket empty
// gets 429 Too Many Requests with Retry-After (whole seconds until a token
// is back) and "Connection: close", and its body is never read. The table
// of buckets is bounded (MaxClients): when full, the client seen least
// recently is forgotten, which costs it nothing but a full bucket. An
// attacker with more addresses than MaxClients can therefore get past the
// per-client limit, as past any per-address limit; the connection caps and
// the server's timeouts still bound what each connection costs.
//
// # Connection caps
//
// The listener wrapper counts open connections per client (PerClient) and
// in total (Total). A connection over its client's cap is refused as soon
// as it is accepted, before a byte is read, so one address cannot hold
// every slot with slow requests (slowloris) and many cannot exhaust the
// process's file descriptors.
//
// A shared total would let a few hundred addresses lock everyone out:
// 16 addresses of 16 connections fill 256. So when the total is reached a
// newcomer takes the slot of a connection that is waiting for a request
// (new, or idle between keep-alive requests: the server's ConnState hook,
// see Listener.Hook), never of one serving a request:
//
//  1. a connection whose request is refused (Refusing, CloseUnread),
//     the oldest first;
//  2. else the longest-waiting connection of the client that holds the
//     most, if it holds more than the newcomer's client.
//
// A newcomer whose client holds as many as any other is refused. (One
// whose client holds none is refused only when every slot serves a
// request; it is closed at once, not tarpitted: it is not its doing, and
// it may try again soon.) The shares thus even out towards the total
// divided by the clients, and a phone, which holds one connection at a
// time, always finds room: an
// attacker must make every one of its connections busy to keep it out,
// and busy means a request that passed the rate limit, the header caps
// and the token check, which an attacker without a token cannot make
// last.
//
// # Tarpit
//
// A connection refused for its client's cap, one evicted that never had a
// request, and one whose request was refused once it is answered, is not
// closed at once but held in a tarpit, unread, until TarpitFor (10 s)
// after it was accepted or answered; a full tarpit (DefaultTarpit, 4096,
// or a quarter of the file descriptor limit) closes its oldest. An attacker whose connection is
// closed opens the next one at once: with thousands of them, the kernel's
// accept queue is always full of attackers and the phone's connection
// waits behind them (a post's median went from 3-5 ms to 0.8 s under a
// slowloris of 3,200 connections from 200 addresses). Held, the
// attacker's connection looks alive and costs one file descriptor, no
// goroutine and no buffer, and the attacker's loop slows to its
// connections' number every 10 s. The connection's slot is free at once:
// a tarpitted connection is not counted. net/http's own last half second
// before closing a connection it answered (CloseWrite, then a wait so the
// client reads the answer before a reset) does not hold the slot either.
//
// # Refusals
//
// A handler that refuses a request without reading its body calls
// CloseUnread first: "Connection: close", and a read deadline in the past,
// because net/http otherwise reads up to 256 KB of the unread body to
// keep the connection, at whatever pace the client sends it: a refused
// POST that declared 100,000 bytes and sent none kept its connection
// until the client gave up (mmsc's TestRefusalClosesConnection, before
// CloseUnread). Wrap's 429 and 431 call it.
//
// net/http answers a header block over the server's MaxHeaderBytes with
// 431 itself, before any handler; the Listener learns of it from the
// CloseWrite net/http calls next, on a request no handler had, and tells
// ConnConfig.OnTooLarge.
//
// Summary logs refusals as one warning line per kind per 10 s: what, how
// many, from how many clients. A flood of refusals is a few lines, not a
// line each (a line per refusal was 7,000 lines in 24 s of siege).
//
// # Header caps
//
// net/http caps the header block's size (http.Server.MaxHeaderBytes, plus
// 4 KiB of slack it adds) and answers 431 above it. MaxHeaders adds a cap
// on the number of header lines, answering 431 too: a block of 16 KiB of
// one-letter headers is several thousand map entries to build and carry.
//
// # Specs
//
//   - RFC 6585 §4 (429 Too Many Requests), §5 (431 Request Header Fields
//     Too Large); RFC 9110 §10.2.3 (Retry-After).
package guard
