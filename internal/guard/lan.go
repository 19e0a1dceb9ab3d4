package guard

import (
	"net"
	"net/http"
)

// The LAN listener's guards: a household's browsers and a Prometheus,
// with room; its header limits and timeouts are the MMSC listener's
// (internal/httpserve).
const (
	lanPerClient = 16
	lanTotal     = 64
)

// LAN caps the LAN listener's connections and header lines, passing
// each refusal's reason and client to note.
func LAN(ln net.Listener, h http.Handler, note func(reason, client string)) (*Listener, http.Handler) {
	gl := LimitListener(ln, ConnConfig{
		PerClient: lanPerClient, Total: lanTotal,
		OnRefused:  func(c string) { note(ReasonConnCap, c) },
		OnEvicted:  func(c string) { note(ReasonEvicted, c) },
		OnTooLarge: func(c string) { note(ReasonHeaderBytes, c) },
	})
	h = Wrap(h, Config{}, func(reason string, r *http.Request) { note(reason, ClientKey(r.RemoteAddr)) })
	return gl, h
}
