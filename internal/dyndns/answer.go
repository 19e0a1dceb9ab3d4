package dyndns

import (
	"fmt"
	"net/http"
	"strings"
)

// RefusedError is a service's answer other than success: a dyndns2
// return code (badauth, nohost, 911...) or DuckDNS's KO.
type RefusedError struct {
	Code string
}

func (e *RefusedError) Error() string {
	if e.Code == "KO" {
		return "dyndns: DuckDNS answered KO: wrong token or domain"
	}
	if m, ok := dyndns2Codes[e.Code]; ok {
		return fmt.Sprintf("dyndns: the service answered %q: %s", e.Code, m)
	}
	return fmt.Sprintf("dyndns: the service answered %q", e.Code)
}

// Final says whether the answer is about the setting, which no retry
// changes: every code but 911 and dnserr, the service's own trouble.
func (e *RefusedError) Final() bool { return e.Code != "911" && e.Code != "dnserr" }

// dyndns2Codes are the return codes of the dyndns2 protocol, as dyn.com
// documents them, with what the owner should do.
var dyndns2Codes = map[string]string{
	"badauth":  "wrong user name or password",
	"!donator": "the account cannot use an option that was sent",
	"notfqdn":  "the host name is not a fully qualified domain name",
	"nohost":   "no such host name in this account",
	"numhost":  "too many host names in one update",
	"abuse":    "the host name is blocked for abuse",
	"badagent": "the service blocks this client",
	"dnserr":   "DNS error at the service; retrying in 30 minutes",
	"911":      "trouble at the service; retrying in 30 minutes",
}

// dyndns2Answer reads a dyndns2 reply: one line per host name, "good
// ADDR" or "nochg ADDR" for success, else a return code.
func dyndns2Answer(status int, body []byte) error {
	text := strings.TrimSpace(string(body))
	if status != http.StatusOK && text == "" {
		return fmt.Errorf("dyndns: HTTP %d", status)
	}
	for _, line := range strings.Split(text, "\n") {
		code, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		if code == "good" || code == "nochg" {
			continue
		}
		if _, known := dyndns2Codes[code]; !known {
			return fmt.Errorf("dyndns: HTTP %d, unexpected answer %.40q", status, line)
		}
		return &RefusedError{Code: code}
	}
	return nil
}

// duckAnswer reads a DuckDNS reply: "OK" or "KO" (bad token or domain).
func duckAnswer(status int, body []byte) error {
	first, _, _ := strings.Cut(strings.TrimSpace(string(body)), "\n")
	switch {
	case first == "OK":
		return nil
	case first == "KO":
		return &RefusedError{Code: "KO"}
	}
	return fmt.Errorf("dyndns: HTTP %d, answer %.40q", status, first)
}
