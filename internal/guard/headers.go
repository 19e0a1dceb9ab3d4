package guard

import "net/http"

// DefaultMaxHeaders is a generous header-line count: phones send 10-20.
const DefaultMaxHeaders = 100

// MaxHeaders refuses with 431 a request of more than n header lines
// (each value of a repeated header counts); if n < 1, DefaultMaxHeaders.
// onRefused, if set, is called for each refusal; it must not block.
func MaxHeaders(n int, onRefused func(*http.Request), next http.Handler) http.Handler {
	if n < 1 {
		n = DefaultMaxHeaders
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if headerLines(r.Header) > n {
			if onRefused != nil {
				onRefused(r)
			}
			refuse(w, r, http.StatusRequestHeaderFieldsTooLarge, "too many header fields")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func headerLines(h http.Header) int {
	n := 0
	for _, vs := range h {
		n += len(vs)
	}
	return n
}
