package metrics

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/homemmsc/homemmsc/internal/metrics/metricstest"
)

// sampleRegistry has one family of each kind, with values that need
// escaping and the special floats.
func sampleRegistry() *Registry {
	r := NewRegistry()
	r.Counter("test_requests_total", "Requests served.").Add(1000000)
	refused := r.CounterVec("test_refused_total", "Refused, by reason.\nSecond line with a \\ backslash.", "reason")
	refused.With("too_large").Add(2)
	refused.With("corrupt").Inc()
	refused.With(`quote " back \ nl` + "\n" + "end").Inc()
	g := r.Gauge("test_temperature_celsius", "A gauge.")
	g.Set(21.5)
	g.Add(-0.25)
	r.GaugeVec("test_state", "One series per state.", "state", "device").With("on", "/dev/i2c-1").Set(1)
	r.Func("test_special", "Special values.", TypeGauge, []string{"kind"}, func() []Sample {
		return []Sample{
			{Labels: []Label{{"kind", "pinf"}}, Value: math.Inf(1)},
			{Labels: []Label{{"kind", "ninf"}}, Value: math.Inf(-1)},
			{Labels: []Label{{"kind", "nan"}}, Value: math.NaN()},
			{Labels: []Label{{"kind", "small"}}, Value: 1.5e-9},
			{Labels: []Label{{"kind", "time"}}, Value: 1795730973.9},
			{Labels: []Label{{"kind", "huge"}}, Value: 1e300},
			{Labels: []Label{{"wrong", "x"}}, Value: 7}, // dropped: not the declared label
		}
	})
	r.Func("test_absent", "A Func with nothing to say is left out.", TypeGauge, nil, func() []Sample { return nil })
	r.GaugeFunc("test_build_info", "Build information.", func() float64 { return 1 })
	return r
}

const sampleText = `# HELP test_requests_total Requests served.
# TYPE test_requests_total counter
test_requests_total 1000000
# HELP test_refused_total Refused, by reason.\nSecond line with a \\ backslash.
# TYPE test_refused_total counter
test_refused_total{reason="corrupt"} 1
test_refused_total{reason="quote \" back \\ nl\nend"} 1
test_refused_total{reason="too_large"} 2
# HELP test_temperature_celsius A gauge.
# TYPE test_temperature_celsius gauge
test_temperature_celsius 21.25
# HELP test_state One series per state.
# TYPE test_state gauge
test_state{state="on",device="/dev/i2c-1"} 1
# HELP test_special Special values.
# TYPE test_special gauge
test_special{kind="huge"} 1e+300
test_special{kind="nan"} NaN
test_special{kind="ninf"} -Inf
test_special{kind="pinf"} +Inf
test_special{kind="small"} 1.5e-09
test_special{kind="time"} 1795730973.9
# HELP test_build_info Build information.
# TYPE test_build_info gauge
test_build_info 1
`

func TestWriteTextGolden(t *testing.T) {
	var b bytes.Buffer
	if err := sampleRegistry().WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if b.String() != sampleText {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), sampleText)
	}
}

func TestServeHTTP(t *testing.T) {
	r := sampleRegistry()
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != 200 || rec.Header().Get("Content-Type") != ContentType || rec.Body.String() != sampleText {
		t.Errorf("GET: %d %q body %q", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
	}
	rec = httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/metrics", nil))
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") == "" {
		t.Errorf("POST: %d Allow %q", rec.Code, rec.Header().Get("Allow"))
	}
}

func TestRegistrationErrorsPanic(t *testing.T) {
	for name, f := range map[string]func(r *Registry){
		"bad metric name":   func(r *Registry) { r.Counter("9lives", "x") },
		"dash in name":      func(r *Registry) { r.Gauge("a-b", "x") },
		"bad label name":    func(r *Registry) { r.CounterVec("a_total", "x", "le-vel") },
		"reserved label":    func(r *Registry) { r.CounterVec("a_total", "x", "__name") },
		"repeated label":    func(r *Registry) { r.GaugeVec("a", "x", "l", "l") },
		"duplicate name":    func(r *Registry) { r.Counter("a_total", "x"); r.Gauge("a_total", "y") },
		"wrong label count": func(r *Registry) { r.CounterVec("a_total", "x", "l").With("1", "2") },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f(NewRegistry())
		})
	}
}

// TestConcurrentCounting is for the race detector, and checks that no
// increment is lost while scrapes run.
func TestConcurrentCounting(t *testing.T) {
	r := NewRegistry()
	c := r.CounterVec("c_total", "x", "k")
	g := r.Gauge("g", "x")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 1000 {
				c.With([]string{"a", "b"}[i%2]).Inc()
				g.Add(1)
			}
		})
	}
	wg.Go(func() {
		for range 50 {
			r.WriteText(&bytes.Buffer{})
		}
	})
	wg.Wait()
	if a, b := c.With("a").Value(), c.With("b").Value(); a != 4000 || b != 4000 {
		t.Errorf("counts %d, %d; want 4000 each", a, b)
	}
	if g.Value() != 8000 {
		t.Errorf("gauge %v, want 8000", g.Value())
	}
}

// TestPromtoolAcceptsOutput feeds the output to promtool, Prometheus's
// own parser and linter (Debian package prometheus), as an oracle we did
// not write.
func TestPromtoolAcceptsOutput(t *testing.T) {
	var b bytes.Buffer
	sampleRegistry().WriteText(&b)
	metricstest.PromtoolCheck(t, b.Bytes())
}

// An OnScrape hook runs once per scrape, before the families read what
// it fetched.
func TestOnScrapeRunsOncePerScrapeFirst(t *testing.T) {
	r := NewRegistry()
	var reads, shared int
	r.OnScrape(func() { reads++; shared = reads * 10 })
	r.GaugeFunc("test_a", "A.", func() float64 { return float64(shared) })
	r.GaugeFunc("test_b", "B.", func() float64 { return float64(shared + 1) })
	for scrape := 1; scrape <= 2; scrape++ {
		var b bytes.Buffer
		if err := r.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		if reads != scrape {
			t.Fatalf("after %d scrapes the hook ran %d times", scrape, reads)
		}
		want := fmt.Sprintf("# HELP test_a A.\n# TYPE test_a gauge\ntest_a %d\n# HELP test_b B.\n# TYPE test_b gauge\ntest_b %d\n", scrape*10, scrape*10+1)
		if b.String() != want {
			t.Fatalf("scrape %d:\n%s\nwant\n%s", scrape, b.String(), want)
		}
	}
}
