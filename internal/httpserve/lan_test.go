package httpserve

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/homemmsc/homemmsc/internal/metrics"
)

func TestLANRoutes(t *testing.T) {
	reg := metrics.NewRegistry()
	reg.Counter("x_total", "x").Inc()
	healthz := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"status":"ok"}`)) })
	h := LANHandler(LANRoutes{Health: healthz, Metrics: reg})
	for path, want := range map[string]int{"/healthz": 200, "/metrics": 200, "/": 200, "/mms": 404, "/inbox": 404} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != want {
			t.Errorf("GET %s: %d, want %d", path, rec.Code, want)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if b := rec.Body.String(); !strings.Contains(b, "/healthz") || !strings.Contains(b, "/metrics") {
		t.Errorf("index %q does not list the endpoints", b)
	}
	inbox := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("inbox " + r.URL.Path)) })
	h = LANHandler(LANRoutes{Health: healthz, Metrics: reg, Inbox: inbox})
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/m/123", nil))
	if rec.Body.String() != "inbox /m/123" {
		t.Errorf("with an inbox, /m/123 got %q", rec.Body)
	}
}
