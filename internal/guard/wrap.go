package guard

import "net/http"

// Reasons Wrap gives for a refused request, as the metrics count them.
const (
	ReasonRateLimited = "rate_limited"
	ReasonHeaders     = "too_many_headers"
)

// Config is the request guards of a listener.
type Config struct {
	Rate       float64 // requests per second per client; 0 = no limit
	Burst      int     // requests a client may make at once; see RateConfig
	MaxHeaders int     // header lines per request; if zero, DefaultMaxHeaders
}

// Wrap puts next behind the header cap and, with a Rate, the rate limit.
// refused, if set, is called with the reason of each refusal; it must not
// block.
func Wrap(next http.Handler, cfg Config, refused func(reason string)) http.Handler {
	if refused == nil {
		refused = func(string) {}
	}
	h := MaxHeaders(cfg.MaxHeaders, func(*http.Request) { refused(ReasonHeaders) }, next)
	if cfg.Rate > 0 {
		h = NewRateLimiter(RateConfig{
			Rate: cfg.Rate, Burst: cfg.Burst,
			OnLimited: func(*http.Request) { refused(ReasonRateLimited) },
		}).Wrap(h)
	}
	return h
}
