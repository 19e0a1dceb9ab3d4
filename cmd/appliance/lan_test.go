package main

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/display"
	"github.com/homemmsc/homemmsc/internal/metrics"
	"github.com/homemmsc/homemmsc/internal/metrics/metricstest"
	"github.com/homemmsc/homemmsc/internal/mmsc"
	"github.com/homemmsc/homemmsc/internal/modem"
	"github.com/homemmsc/homemmsc/internal/modem/notify"
	"github.com/homemmsc/homemmsc/internal/store"
)

func TestLANRoutes(t *testing.T) {
	reg := metrics.NewRegistry()
	reg.Counter("x_total", "x").Inc()
	healthz := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"status":"ok"}`)) })
	h := newLANHandler(lanDeps{health: healthz, metrics: reg})
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
	h = newLANHandler(lanDeps{health: healthz, metrics: reg, inbox: inbox})
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/m/123", nil))
	if rec.Body.String() != "inbox /m/123" {
		t.Errorf("with an inbox, /m/123 got %q", rec.Body)
	}
}

// fakeScreen is a display.Screen whose commands fail while err is set.
type fakeScreen struct{ err error }

func (f *fakeScreen) String() string                                       { return "fake" }
func (f *fakeScreen) Halt() error                                          { return f.err }
func (f *fakeScreen) ColorModel() color.Model                              { return color.GrayModel }
func (f *fakeScreen) Bounds() image.Rectangle                              { return image.Rect(0, 0, 128, 64) }
func (f *fakeScreen) Draw(image.Rectangle, image.Image, image.Point) error { return f.err }
func (f *fakeScreen) SetContrast(byte) error                               { return f.err }

func TestDisplayWatch(t *testing.T) {
	var none *displayWatch
	if none.State() != displayNone || none.wrap(&fakeScreen{}) == nil {
		t.Error("a nil watch is not usable")
	}
	w := &displayWatch{}
	if w.State() != displayNone {
		t.Errorf("fresh watch: %s", w.State())
	}
	f := &fakeScreen{}
	s := w.wrap(f)
	steps := []struct {
		do   func() error
		err  error
		want string
	}{
		{func() error { return s.Draw(image.Rectangle{}, nil, image.Point{}) }, nil, displayOn},
		{s.Halt, nil, displayOff},
		{func() error { return s.SetContrast(1) }, errors.New("i2c: nack"), displayFailing},
		{func() error { return s.SetContrast(1) }, nil, displayOn},
	}
	for i, st := range steps {
		f.err = st.err
		if err := st.do(); err != st.err || w.State() != st.want {
			t.Errorf("step %d: err %v, state %s; want %v, %s", i, err, w.State(), st.err, st.want)
		}
	}
	reopen := w.wrapReopen(func() (display.Screen, error) { return nil, errors.New("gone") })
	if _, err := reopen(); err == nil || w.State() != displayFailing {
		t.Errorf("failed reopen: %v, state %s", err, w.State())
	}
}

// The metrics of a running appliance, with fakes behind: counters move
// with results, the scrape-time values are read, and promtool accepts it.
func TestAppMetrics(t *testing.T) {
	stats := store.Stats{Messages: 3, New: 1, Bytes: 4096, FreeBytes: 1 << 30}
	rep := modemReport{status: modem.Status{Present: true, Registered: true, Reg: "home network", Signal: 17},
		notify: notify.Stats{Sent: 4, Failed: 1, Queued: 2}, notifier: true}
	w := &displayWatch{}
	w.set(displayOff)
	var statsReads, modemReads int
	m := newAppMetrics(metricSources{
		start: time.Now(), stats: func() store.Stats { statsReads++; return stats }, quota: 1 << 30, synced: func() bool { return true },
		modem: func() modemReport { modemReads++; return rep }, display: w, conns: func() int { return 2 },
	})
	m.onResult(mmsc.ResultStored, 1234)
	m.onResult(mmsc.ResultStored, 66)
	m.onResult(mmsc.ResultCorrupt, 10)
	m.refused.With(reasonRateLimited).Inc()
	var b bytes.Buffer
	m.reg.WriteText(&b)
	text := b.String()
	if statsReads != 1 || modemReads != 1 { // one statfs per scrape, not one per family
		t.Errorf("one scrape read the store %d times and the modem %d times, want once each", statsReads, modemReads)
	}
	for _, line := range []string{
		"homemmsc_mms_received_total 2", "homemmsc_mms_received_bytes_total 1300",
		`homemmsc_mms_refused_total{reason="corrupt"} 1`, `homemmsc_mms_refused_total{reason="rate_limited"} 1`,
		`homemmsc_mms_refused_total{reason="not_allowed"} 0`, `homemmsc_mms_refused_total{reason="too_many_headers"} 0`,
		"homemmsc_store_messages 3", "homemmsc_store_unseen_messages 1", "homemmsc_store_bytes 4096",
		"homemmsc_store_free_bytes 1073741824", "homemmsc_store_quota_bytes 1073741824",
		"homemmsc_clock_synced 1", "homemmsc_mmsc_connections_open 2",
		"homemmsc_modem_present 1", "homemmsc_modem_registered 1", "homemmsc_modem_signal_rssi 17",
		`homemmsc_modem_registration{state="home network"} 1`,
		"homemmsc_sms_sent_total 4", "homemmsc_sms_failed_total 1", "homemmsc_sms_queued 2",
		`homemmsc_display_state{state="off"} 1`, `homemmsc_display_state{state="on"} 0`,
		`homemmsc_build_info{version="` + version + `",goversion="go`,
	} {
		if !strings.Contains(text, "\n"+line) {
			t.Errorf("no line %q in:\n%s", line, text)
		}
	}
	for _, prefix := range []string{"go_goroutines ", "go_memstats_heap_alloc_bytes ", "process_open_fds ", "homemmsc_uptime_seconds "} {
		if !strings.Contains(text, "\n"+prefix) {
			t.Errorf("no %s", prefix)
		}
	}
	metricstest.PromtoolCheck(t, b.Bytes())

	// Unknown signal and no notifier: those series are left out.
	rep = modemReport{status: modem.Status{Reg: "no modem", Signal: -1}}
	b.Reset()
	m.reg.WriteText(&b)
	for _, gone := range []string{"homemmsc_modem_signal_rssi", "homemmsc_sms_sent_total"} {
		if strings.Contains(b.String(), gone) {
			t.Errorf("%s written with no value", gone)
		}
	}
}

func TestNoModemNoModemMetrics(t *testing.T) {
	m := newAppMetrics(metricSources{start: time.Now(), stats: func() store.Stats { return store.Stats{FreeBytes: -1} }, synced: func() bool { return false }})
	var b bytes.Buffer
	m.reg.WriteText(&b)
	for _, gone := range []string{"homemmsc_modem_", "homemmsc_sms_", "homemmsc_store_free_bytes", "homemmsc_store_quota_bytes"} {
		if strings.Contains(b.String(), gone) {
			t.Errorf("%s written without its source", gone)
		}
	}
	metricstest.PromtoolCheck(t, b.Bytes())
}

func TestLANOptions(t *testing.T) {
	o := parse(t, nil, env())
	l := o.lanOpts
	if l.addr != "" || l.rate != defaultRate || l.burst != defaultRateBurst || l.perClient != 16 || l.allowFunc() != nil {
		t.Errorf("defaults: %+v", l)
	}
	allowFile := filepath.Join(t.TempDir(), "allow")
	os.WriteFile(allowFile, []byte("# family\n+44 7700 900123\n"), 0o600)
	o = parse(t, []string{"-lan", "192.168.1.50:8081", "-rate", "0.5", "-rate-burst", "5", "-allow", "@" + allowFile},
		env("HOMEMMSC_CONNS_PER_CLIENT", "4"))
	l = o.lanOpts
	if l.addr != "192.168.1.50:8081" || l.rate != 0.5 || l.burst != 5 || l.perClient != 4 || l.allow.Len() != 1 {
		t.Errorf("set: %+v", l)
	}
	if f := l.allowFunc(); f == nil || !f("+447700900123") || f("+15550000000") {
		t.Error("the -allow file is not what Allow checks")
	}
	if g := l.guards(); g.conns.PerClient != 4 || g.rate != 0.5 || g.burst != 5 {
		t.Errorf("guards %+v", g)
	}
	l = parse(t, []string{"-conns-per-client=0"}, env()).lanOpts
	if g := l.guards(); g.conns.PerClient < 256 {
		t.Errorf("-conns-per-client=0 leaves a per-client cap of %d", g.conns.PerClient)
	}
	for _, bad := range [][]string{
		{"-rate", "-1"}, {"-rate", "NaN"}, {"-rate-burst", "0"}, {"-conns-per-client", "-1"},
		{"-allow", "+1555x"}, {"-allow", "@/nonexistent/allow"},
	} {
		if _, err := parseOptions(bad, env(), &bytes.Buffer{}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// BenchmarkScrape is one GET /metrics of the appliance with a real store
// (its Stats does a statfs) and the /proc reads, without a modem.
func BenchmarkScrape(b *testing.B) {
	st, err := store.Open(store.Config{Dir: b.TempDir(), MinFree: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	m := newAppMetrics(metricSources{start: time.Now(), stats: st.Stats, synced: func() bool { return true }, display: &displayWatch{}})
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	for b.Loop() {
		m.reg.ServeHTTP(httptest.NewRecorder(), req)
	}
}
