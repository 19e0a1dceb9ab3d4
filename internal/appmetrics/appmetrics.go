package appmetrics

import (
	"os"
	"runtime"
	rtmetrics "runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/homemmsc/homemmsc/internal/deliver"
	"github.com/homemmsc/homemmsc/internal/display"
	"github.com/homemmsc/homemmsc/internal/guard"
	"github.com/homemmsc/homemmsc/internal/metrics"
	"github.com/homemmsc/homemmsc/internal/mmsc"
	"github.com/homemmsc/homemmsc/internal/modem"
	"github.com/homemmsc/homemmsc/internal/modem/ownersms"
	"github.com/homemmsc/homemmsc/internal/outbox"
	"github.com/homemmsc/homemmsc/internal/store"
)

// Metrics are the counters the appliance bumps; everything else is
// read from its source at each scrape.
type Metrics struct {
	Registry      *metrics.Registry // serves GET /metrics
	received      *metrics.Counter
	receivedBytes *metrics.Counter
	refused       *metrics.CounterVec // by reason
	connRefused   *metrics.Counter
	connEvicted   *metrics.Counter
	lanRefused    *metrics.CounterVec // by reason
}

// Sources are where the scrape-time metrics come from.
type Sources struct {
	Start   time.Time
	Version string // the build's, for homemmsc_build_info
	Stats   func() store.Stats
	Quota   int64
	Synced  func() bool
	Modem   func() modem.Status           // nil: no modem configured
	Outbox  func() (ownersms.Stats, bool) // the owner's SMS outbox; false (or nil) without one
	Box     *outbox.Outbox                // the queue through the modem, every kind; nil: none
	Display *display.Watch
	Conns   func() int // open MMSC connections; nil: unknown
	// Delivery reads delivery's counters (deliver.Deliverer.Stats); nil
	// when delivery to paired phones is off.
	Delivery func() deliver.Stats
	// LogDropped is how many log lines were dropped because the log
	// sink stalled (internal/logwriter); nil: not reported.
	LogDropped func() uint64
}

// New registers every metric of the appliance; the README lists them.
func New(src Sources) *Metrics {
	r := metrics.NewRegistry()
	m := &Metrics{
		Registry:      r,
		received:      r.Counter("homemmsc_mms_received_total", "MMS stored and acknowledged with Ok."),
		receivedBytes: r.Counter("homemmsc_mms_received_bytes_total", "Bytes of the MMS stored (PDUs as posted)."),
		refused:       r.CounterVec("homemmsc_mms_refused_total", "Requests to the MMSC listener refused, by reason.", "reason"),
		connRefused:   r.Counter("homemmsc_mmsc_connections_refused_total", "Connections to the MMSC listener refused at once for being over a per-client cap (held unread, then closed) or the total cap with no room to make (closed)."),
		lanRefused:    r.CounterVec("homemmsc_lan_refused_total", "Connections and requests the LAN listener's guards refused, by reason.", "reason"),
		connEvicted:   r.Counter("homemmsc_mmsc_connections_evicted_total", "Connections to the MMSC listener waiting for a request, closed to make room for another client's (see internal/guard)."),
	}
	for _, reason := range refusalReasons() {
		m.refused.With(reason)
	}
	for _, reason := range []string{guard.ReasonConnCap, guard.ReasonEvicted, guard.ReasonHeaders, guard.ReasonHeaderBytes} {
		m.lanRefused.With(reason)
	}
	registerProcess(r, src.Start, src.Version)
	r.GaugeFunc("homemmsc_clock_synced", "1 if the system clock is synchronised (NTP), else 0: a Pi has no clock battery.", func() float64 { return b2f(src.Synced()) })
	if src.Conns != nil {
		r.GaugeFunc("homemmsc_mmsc_connections_open", "Connections open on the MMSC listener.", func() float64 { return float64(src.Conns()) })
	}
	if src.LogDropped != nil {
		r.Func("homemmsc_log_dropped_lines_total", "Log lines dropped because the log sink (journald) did not keep up.", metrics.TypeCounter, nil,
			func() []metrics.Sample { return []metrics.Sample{{Value: float64(src.LogDropped())}} })
	}
	registerStore(r, src.Stats, src.Quota)
	registerModem(r, modemReporter(src.Modem, src.Outbox))
	registerOutbox(r, src.Box)
	registerDisplay(r, src.Display)
	registerDelivery(r, src.Delivery)
	return m
}

// refusalReasons lists every refused_total reason (the guards' and mmsc's), so each starts at 0.
func refusalReasons() []string {
	return append([]string{guard.ReasonRateLimited, guard.ReasonHeaders, guard.ReasonHeaderBytes}, mmsc.Results...)
}

// Refused counts one request the guards refused, by reason (guard.Wrap's).
func (m *Metrics) Refused(reason string) { m.refused.With(reason).Inc() }

// ConnRefused counts one connection refused at once for being over a cap
// (guard.ConnConfig.OnRefused).
func (m *Metrics) ConnRefused() { m.connRefused.Inc() }

// LANRefused counts one connection or request the LAN listener's guards
// refused, by reason (guard.Reason*).
func (m *Metrics) LANRefused(reason string) { m.lanRefused.With(reason).Inc() }

// ConnEvicted counts one waiting connection closed to make room for
// another client's (guard.ConnConfig.OnEvicted).
func (m *Metrics) ConnEvicted() { m.connEvicted.Inc() }

// OnResult counts one mmsc result (mmsc.Config.OnResult).
func (m *Metrics) OnResult(result string, size int) {
	if result == mmsc.ResultStored {
		m.received.Inc()
		m.receivedBytes.Add(uint64(size))
		return
	}
	m.refused.With(result).Inc()
}

func registerProcess(r *metrics.Registry, start time.Time, version string) {
	r.Func("homemmsc_build_info", "The running build; the value is always 1.", metrics.TypeGauge, []string{"version", "goversion"},
		func() []metrics.Sample {
			return []metrics.Sample{{Labels: []metrics.Label{{Name: "version", Value: version}, {Name: "goversion", Value: runtime.Version()}}, Value: 1}}
		})
	r.GaugeFunc("process_start_time_seconds", "Start time of the process, seconds since the Unix epoch (wrong if the clock was not synced then).", func() float64 { return float64(start.UnixMilli()) / 1000 })
	r.GaugeFunc("homemmsc_uptime_seconds", "Seconds since the process started (monotonic: right even when the clock jumps).", func() float64 { return time.Since(start).Seconds() })
	r.GaugeFunc("go_goroutines", "Goroutines that currently exist.", func() float64 { return float64(runtime.NumGoroutine()) })
	r.GaugeFunc("go_memstats_heap_alloc_bytes", "Bytes of allocated heap objects.", func() float64 { return readRuntime("/memory/classes/heap/objects:bytes") })
	r.GaugeFunc("go_memstats_sys_bytes", "Bytes of memory obtained from the OS by the Go runtime.", func() float64 { return readRuntime("/memory/classes/total:bytes") })
	r.Func("go_gc_cycles_total", "Completed GC cycles.", metrics.TypeCounter, nil, func() []metrics.Sample {
		return []metrics.Sample{{Value: readRuntime("/gc/cycles/total:gc-cycles")}}
	})
	r.Func("process_resident_memory_bytes", "Resident set size in bytes.", metrics.TypeGauge, nil, func() []metrics.Sample { return optional(residentBytes()) })
	r.Func("process_open_fds", "Open file descriptors.", metrics.TypeGauge, nil, func() []metrics.Sample { return optional(openFDs()) })
}

// readRuntime reads one runtime/metrics value (no stop-the-world, unlike
// runtime.ReadMemStats).
func readRuntime(name string) float64 {
	s := []rtmetrics.Sample{{Name: name}}
	rtmetrics.Read(s)
	switch s[0].Value.Kind() {
	case rtmetrics.KindUint64:
		return float64(s[0].Value.Uint64())
	case rtmetrics.KindFloat64:
		return s[0].Value.Float64()
	}
	return 0
}

// residentBytes is the RSS from /proc/self/statm; -1 if unknown.
func residentBytes() float64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return -1
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return -1
	}
	return float64(pages * int64(os.Getpagesize()))
}

// openFDs counts /proc/self/fd; -1 if unknown.
func openFDs() float64 {
	d, err := os.Open("/proc/self/fd")
	if err != nil {
		return -1
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return -1
	}
	return float64(len(names) - 1) // not the one reading the directory
}

// optional is one sample, or none for a negative (unknown) value.
func optional(v float64) []metrics.Sample {
	if v < 0 {
		return nil
	}
	return []metrics.Sample{{Value: v}}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// perScrape reads get once at the start of each scrape; the returned
// function gives that reading to the families that share it, so a
// scrape does one statfs, not one per store family.
func perScrape[T any](r *metrics.Registry, get func() T) func() T {
	var last atomic.Pointer[T]
	r.OnScrape(func() { v := get(); last.Store(&v) })
	return func() T {
		if p := last.Load(); p != nil {
			return *p
		}
		return get()
	}
}

func registerStore(r *metrics.Registry, stats func() store.Stats, quota int64) {
	stats = perScrape(r, stats)
	gauge := func(name, help string, f func(store.Stats) float64) {
		r.Func(name, help, metrics.TypeGauge, nil, func() []metrics.Sample { return optional(f(stats())) })
	}
	gauge("homemmsc_store_messages", "Messages in the store.", func(s store.Stats) float64 { return float64(s.Messages) })
	gauge("homemmsc_store_unseen_messages", "Messages not yet seen.", func(s store.Stats) float64 { return float64(s.New) })
	gauge("homemmsc_store_bytes", "Bytes the store holds (PDUs and metadata).", func(s store.Stats) float64 { return float64(s.Bytes) })
	gauge("homemmsc_store_free_bytes", "Free bytes on the store's filesystem for unprivileged users.", func(s store.Stats) float64 { return float64(s.FreeBytes) })
	if quota > 0 {
		r.GaugeFunc("homemmsc_store_quota_bytes", "The -quota on stored bytes.", func() float64 { return float64(quota) })
	}
}

// modemReport is what the metrics read from the modem and the notifier.
type modemReport struct {
	status   modem.Status
	sms      ownersms.Stats
	notifier bool // notifications are on (an -owner and an outbox)
}

// modemReporter reads the modem and the outbox together; nil without a
// modem.
func modemReporter(status func() modem.Status, outbox func() (ownersms.Stats, bool)) func() modemReport {
	if status == nil {
		return nil
	}
	return func() modemReport {
		r := modemReport{status: status()}
		if outbox != nil {
			r.sms, r.notifier = outbox()
		}
		return r
	}
}

func registerModem(r *metrics.Registry, report func() modemReport) {
	if report == nil {
		return // -modem none: no modem metrics at all
	}
	report = perScrape(r, report)
	type getter func(modemReport) (float64, bool)
	add := func(name, help string, typ metrics.Type, get getter) {
		r.Func(name, help, typ, nil, func() []metrics.Sample {
			if v, ok := get(report()); ok {
				return []metrics.Sample{{Value: v}}
			}
			return nil
		})
	}
	add("homemmsc_modem_present", "1 if the modem answers on its port.", metrics.TypeGauge, func(m modemReport) (float64, bool) { return b2f(m.status.Present), true })
	add("homemmsc_modem_registered", "1 if the modem is registered on a network that takes SMS.", metrics.TypeGauge, func(m modemReport) (float64, bool) { return b2f(m.status.Registered), true })
	add("homemmsc_modem_signal_rssi", "Signal as +CSQ rssi, 0-31 (2 dBm steps from -113 dBm); absent when unknown.", metrics.TypeGauge, func(m modemReport) (float64, bool) {
		return float64(m.status.Signal), m.status.Present && m.status.Signal >= 0 && m.status.Signal <= 31
	})
	r.Func("homemmsc_modem_registration", "The modem's registration state as its label; the value is always 1.", metrics.TypeGauge, []string{"state"}, func() []metrics.Sample {
		return []metrics.Sample{{Labels: []metrics.Label{{Name: "state", Value: report().status.Reg}}, Value: 1}}
	})
	add("homemmsc_sms_sent_total", "Notification texts handed to the network.", metrics.TypeCounter, func(m modemReport) (float64, bool) { return float64(m.sms.Sent), m.notifier })
	add("homemmsc_sms_failed_total", "Notification texts given up on.", metrics.TypeCounter, func(m modemReport) (float64, bool) { return float64(m.sms.Failed), m.notifier })
	add("homemmsc_sms_queued", "Notification texts waiting in the outbox.", metrics.TypeGauge, func(m modemReport) (float64, bool) { return float64(m.sms.Queued), m.notifier })
}

// registerOutbox adds the outbox's counts by kind (owner-sms, wap-push,
// delivery-report, ...).
func registerOutbox(r *metrics.Registry, box *outbox.Outbox) {
	if box == nil {
		return
	}
	family := func(name, help string, typ metrics.Type, get func(outbox.Stats) float64) {
		r.Func(name, help, typ, []string{"kind"}, func() []metrics.Sample {
			var out []metrics.Sample
			for _, k := range box.Kinds() {
				out = append(out, metrics.Sample{Labels: []metrics.Label{{Name: "kind", Value: k}}, Value: get(box.Stats(k))})
			}
			return out
		})
	}
	family("homemmsc_outbox_sent_total", "Items the outbox sent, by kind.", metrics.TypeCounter, func(s outbox.Stats) float64 { return float64(s.Sent) })
	family("homemmsc_outbox_failed_total", "Items the outbox gave up on, by kind.", metrics.TypeCounter, func(s outbox.Stats) float64 { return float64(s.Failed) })
	family("homemmsc_outbox_queued", "Items waiting in the outbox, by kind.", metrics.TypeGauge, func(s outbox.Stats) float64 { return float64(s.Queued) })
}

func registerDisplay(r *metrics.Registry, w *display.Watch) {
	r.Func("homemmsc_display_state", "1 for the display's current state (none, absent, on, off, failing), 0 for the others.", metrics.TypeGauge, []string{"state"}, func() []metrics.Sample {
		cur := w.State()
		var out []metrics.Sample
		for _, s := range display.States {
			out = append(out, metrics.Sample{Labels: []metrics.Label{{Name: "state", Value: s}}, Value: b2f(s == cur)})
		}
		return out
	})
}
