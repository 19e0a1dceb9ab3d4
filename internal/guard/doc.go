// Package guard protects the internet-facing MMSC listener from clients
// that send too much, too often or too slowly: a per-client rate limit and
// a header-count cap (HTTP middleware), and a per-client cap on open
// connections (a net.Listener wrapper).
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
// The listener wrapper counts open connections per client and in total.
// A connection over either cap is closed as soon as it is accepted, before
// a byte is read, so one address cannot hold every slot with slow requests
// (slowloris) and many cannot exhaust the process's file descriptors.
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
