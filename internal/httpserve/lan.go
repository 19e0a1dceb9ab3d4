package httpserve

import (
	"fmt"
	"net"
	"net/http"
)

// LANRoutes is what the LAN listener serves.
type LANRoutes struct {
	Health  http.Handler // /healthz
	Metrics http.Handler // /metrics
	Inbox   http.Handler // everything else; if nil, "/" is a short index

	SelfTest     http.Handler // at SelfTestPath; if nil, not mounted
	SelfTestPath string
	Version      string // shown by the index
}

// LANHandler routes the LAN listener.
func LANHandler(d LANRoutes) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/healthz", d.Health)
	mux.Handle("/metrics", d.Metrics)
	if d.SelfTest != nil {
		mux.Handle(d.SelfTestPath, d.SelfTest)
	}
	if d.Inbox != nil {
		mux.Handle("/", d.Inbox)
	} else {
		mux.HandleFunc("/", lanIndex(d.Version))
	}
	return mux
}

// lanIndex is "/" when no inbox is built in.
func lanIndex(version string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		fmt.Fprint(w, "homemmsc "+version+" (LAN listener)\n\n"+
			"/healthz  200 when the store is writable and the MMSC listener serves, else 503 and why\n"+
			"/metrics  Prometheus text format\n"+
			"/selftest POST ?phone=NAME: does the phone fetch a test MMS from this MMSC? (needs -public-url and a modem)\n")
	}
}

// Listen opens the MMSC listener and, if lanAddr is set, the LAN one.
func Listen(addr, lanAddr string) (ln, lan net.Listener, err error) {
	if ln, err = net.Listen("tcp", addr); err != nil {
		return nil, nil, fmt.Errorf("-listen: %w", err)
	}
	if lanAddr == "" {
		return ln, nil, nil
	}
	if lan, err = net.Listen("tcp", lanAddr); err != nil {
		ln.Close()
		return nil, nil, fmt.Errorf("-lan: %w", err)
	}
	return ln, lan, nil
}
