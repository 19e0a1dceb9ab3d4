package appmetrics

import (
	"net/http"

	"github.com/homemmsc/homemmsc/internal/guard"
)

// Refusals counts what the listeners' guards and the MMSC refuse in m and
// sums it up in the log (guard.Summary): one place for both, so the
// metrics and the log never disagree.
type Refusals struct {
	m   *Metrics
	sum *guard.Summary
}

// NewRefusals counts in m and sums up in sum.
func NewRefusals(m *Metrics, sum *guard.Summary) *Refusals { return &Refusals{m: m, sum: sum} }

// Conns is c with the MMSC listener's connection refusals counted.
func (r *Refusals) Conns(c guard.ConnConfig) guard.ConnConfig {
	c.OnRefused = func(k string) { r.m.ConnRefused(); r.sum.Note(guard.ReasonConnCap, k) }
	c.OnEvicted = func(k string) { r.m.ConnEvicted(); r.sum.Note(guard.ReasonEvicted, k) }
	c.OnTooLarge = func(k string) {
		r.m.Refused(guard.ReasonHeaderBytes)
		r.sum.Note(guard.ReasonHeaderBytes, k)
	}
	return c
}

// Request counts a request the MMSC listener's guards refused (guard.Wrap's
// refused) and sums it up in the log.
func (r *Refusals) Request(reason string, req *http.Request) {
	r.m.Refused(reason)
	r.sum.Note(reason, guard.ClientKey(req.RemoteAddr))
}

// MMSC is mmsc.Config.OnRefused: it sums the refusal up in the log; mmsc
// counts it through OnResult.
func (r *Refusals) MMSC(result string, req *http.Request) {
	r.sum.Note(result, guard.ClientKey(req.RemoteAddr))
}

// LAN counts a refusal of the LAN listener's guards and sums it up in the
// log as "lan_…".
func (r *Refusals) LAN(reason, client string) {
	r.m.LANRefused(reason)
	r.sum.Note("lan_"+reason, client)
}
