package guard

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

// Wrap names each refusal with its reason and lets the rest through.
func TestWrapReasons(t *testing.T) {
	var reasons []string
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	h := Wrap(ok, Config{Rate: 1, Burst: 1, MaxHeaders: 2}, func(r string, _ *http.Request) { reasons = append(reasons, r) })
	do := func(headers int) int {
		r := httptest.NewRequest(http.MethodPost, "/mms", nil)
		r.RemoteAddr = "192.0.2.1:1000"
		for i := range headers {
			r.Header.Add("X-H", string(rune('a'+i)))
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	if code := do(1); code != http.StatusOK {
		t.Fatalf("first request: %d", code)
	}
	if code := do(1); code != http.StatusTooManyRequests {
		t.Errorf("second request within the burst of 1: %d, want 429", code)
	}
	if want := []string{ReasonRateLimited}; !slices.Equal(reasons, want) {
		t.Errorf("reasons %q, want %q", reasons, want)
	}
	reasons = nil
	h = Wrap(ok, Config{MaxHeaders: 2}, func(r string, _ *http.Request) { reasons = append(reasons, r) })
	if code := do(3); code != http.StatusRequestHeaderFieldsTooLarge || !slices.Equal(reasons, []string{ReasonHeaders}) {
		t.Errorf("3 headers over a cap of 2: %d, reasons %q", code, reasons)
	}
}
