// Package dyndns keeps a DNS name pointing at the home's public address,
// so that phones and -public-url can use a name that follows the
// address when the provider changes it.
//
// An Updater is given the public addresses (Set: the router's external
// IPv4 address from internal/portmap, and this host's global IPv6
// address) and sends them to the service when they differ from what it
// last sent: once at start, then at each change. Services count
// repeated updates of an unchanged address as abuse, so nothing is sent
// on a timer.
//
// # dyndns2
//
// The protocol dyn.com defined and No-IP, Dynu and most routers'
// "custom" providers speak: an HTTP GET of the update URL
// (…/nic/update?hostname=NAME[,NAME…]&myip=ADDR) with HTTP Basic
// authentication and a User-Agent naming the client ("Company - Device
// - Version"). The answer is a line per host name: "good ADDR" (changed)
// or "nochg ADDR" (already so) for success; otherwise a return code.
// badauth, !donator, notfqdn, nohost, numhost, abuse and badagent are
// about the setting: the Updater stops until the setting changes (the
// service restarted), since retrying them is what gets an account
// blocked. 911 and dnserr are the service's own trouble: the next try
// waits 30 minutes, as the documentation asks. myip carries the IPv4
// address, or the IPv6 address when there is no IPv4 one.
//
// # DuckDNS
//
// A GET of https://www.duckdns.org/update?domains=NAME&token=TOKEN
// with ip= and ipv6= (both, when known); the answer is "OK", or "KO"
// for a wrong token or domain, which stops the Updater like badauth.
//
// # Setting
//
// Parse reads "dyndns2:URL" or "duckdns:URL": the update URL with the
// user name and password (dyndns2) or the token (DuckDNS) in it. Keep it
// in a file readable by the service only: it is a password.
//
// # Limits
//
// An answer is read up to 4 KiB; a request gives up after 30 s; after a
// network or HTTP failure the next try comes after 1 minute, doubling
// to 30 minutes.
//
// # Specs
//
//   - dyn.com, "Perform Update (Raw HTTP GET)" and "Return Codes" of the
//     DynDNS update API (the dyndns2 protocol)
//   - duckdns.org/spec.jsp (the DuckDNS update API)
//   - RFC 7617 (HTTP Basic authentication)
package dyndns
