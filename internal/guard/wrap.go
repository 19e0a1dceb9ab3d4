package guard

import "net/http"

// Reasons Wrap gives for a refused request, as the metrics count them,
// and the Listener's, for the log's Summary.
const (
	ReasonRateLimited = "rate_limited"
	ReasonHeaders     = "too_many_headers"
	ReasonHeaderBytes = "header_too_large"   // net/http's own 431: over MaxHeaderBytes (ConnConfig.OnTooLarge)
	ReasonConnCap     = "connection_cap"     // a connection refused at once: over a cap or the rate
	ReasonEvicted     = "connection_evicted" // a waiting connection closed to make room
)

// Config is the request guards of a listener.
type Config struct {
	Rate       float64 // requests per second per client; 0 = no limit
	Burst      int     // requests a client may make at once; see RateConfig
	MaxHeaders int     // header lines per request; if zero, DefaultMaxHeaders
}

// Wrap puts next behind the header cap and, with a Rate, the rate limit.
// refused, if set, is called with the reason of each refusal and the
// request refused; it must not block.
func Wrap(next http.Handler, cfg Config, refused func(reason string, r *http.Request)) http.Handler {
	if refused == nil {
		refused = func(string, *http.Request) {}
	}
	h := MaxHeaders(cfg.MaxHeaders, func(r *http.Request) { refused(ReasonHeaders, r) }, next)
	if cfg.Rate > 0 {
		h = NewRateLimiter(RateConfig{
			Rate: cfg.Rate, Burst: cfg.Burst,
			OnLimited: func(r *http.Request) { refused(ReasonRateLimited, r) },
		}).Wrap(h)
	}
	return h
}
