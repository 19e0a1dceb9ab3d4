package dyndns_test

import (
	"net/http"
	"strings"
	"sync"
)

// dyn2Server is a dyndns2 service as dyn.com's public documentation of
// the protocol describes it ("Perform Update (Raw HTTP GET)" and
// "Return Codes"): GET /nic/update?hostname=H[,H...]&myip=ADDR with HTTP
// Basic authentication and a User-Agent; one answer line per host name:
// "good ADDR" when the address changed, "nochg ADDR" when it did not,
// else badauth (wrong credentials), notfqdn (not a full domain name),
// nohost (not in the account), badagent (no User-Agent), 911 (the
// service's own trouble). myip is optional: without it the service takes
// the address the request came from.
type dyn2Server struct {
	user, password string
	hosts          map[string]string // host name → its address now

	mu       sync.Mutex
	trouble  bool // answer 911
	requests []string
}

func newDyn2Server(hosts ...string) *dyn2Server {
	s := &dyn2Server{user: "owner", password: "s3cret:pw", hosts: map[string]string{}}
	for _, h := range hosts {
		s.hosts[h] = ""
	}
	return s
}

func (s *dyn2Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r.URL.RawQuery)
	if r.Method != http.MethodGet || r.URL.Path != "/nic/update" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	user, pw, ok := r.BasicAuth()
	switch {
	case r.UserAgent() == "":
		w.Write([]byte("badagent"))
		return
	case !ok || user != s.user || pw != s.password:
		w.Write([]byte("badauth"))
		return
	case s.trouble:
		w.Write([]byte("911"))
		return
	}
	ip := r.URL.Query().Get("myip")
	if ip == "" {
		ip, _, _ = strings.Cut(r.RemoteAddr, ":")
	}
	var lines []string
	for _, h := range strings.Split(r.URL.Query().Get("hostname"), ",") {
		lines = append(lines, s.answer(h, ip))
	}
	w.Write([]byte(strings.Join(lines, "\n")))
}

// answer is one host name's line; called with s.mu held.
func (s *dyn2Server) answer(host, ip string) string {
	old, ok := s.hosts[host]
	switch {
	case !strings.Contains(host, "."):
		return "notfqdn"
	case !ok:
		return "nohost"
	case old == ip:
		return "nochg " + ip
	}
	s.hosts[host] = ip
	return "good " + ip
}

func (s *dyn2Server) addr(host string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hosts[host]
}

func (s *dyn2Server) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

func (s *dyn2Server) setTrouble(b bool) {
	s.mu.Lock()
	s.trouble = b
	s.mu.Unlock()
}

// duckServer is DuckDNS as its documentation (duckdns.org/spec.jsp)
// describes it: GET /update?domains=D[,D...]&token=T[&ip=A][&ipv6=A6],
// answering "OK", or "KO" for a wrong token or a domain not in the
// account.
type duckServer struct {
	token   string
	domains map[string][2]string // domain → IPv4, IPv6
	mu      sync.Mutex
}

func (s *duckServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := r.URL.Query()
	if r.URL.Path != "/update" || q.Get("token") != s.token {
		w.Write([]byte("KO"))
		return
	}
	for _, d := range strings.Split(q.Get("domains"), ",") {
		if _, ok := s.domains[d]; !ok {
			w.Write([]byte("KO"))
			return
		}
		s.domains[d] = [2]string{q.Get("ip"), q.Get("ipv6")}
	}
	w.Write([]byte("OK"))
}
