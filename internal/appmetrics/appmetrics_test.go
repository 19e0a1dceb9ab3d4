package appmetrics

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/deliver"
	"github.com/homemmsc/homemmsc/internal/display"
	"github.com/homemmsc/homemmsc/internal/guard"
	"github.com/homemmsc/homemmsc/internal/metrics/metricstest"
	"github.com/homemmsc/homemmsc/internal/mmsc"
	"github.com/homemmsc/homemmsc/internal/modem"
	"github.com/homemmsc/homemmsc/internal/modem/ownersms"
	"github.com/homemmsc/homemmsc/internal/outbox"
	"github.com/homemmsc/homemmsc/internal/store"
)

// The metrics of a running appliance, with fakes behind: counters move
// with results, the scrape-time values are read, and promtool accepts it.
func TestAppMetrics(t *testing.T) {
	stats := store.Stats{Messages: 3, New: 1, Bytes: 4096, FreeBytes: 1 << 30}
	status := modem.Status{Present: true, Registered: true, Reg: "home network", Signal: 17}
	outbox, outboxOn := ownersms.Stats{Sent: 4, Failed: 1, Queued: 2}, true
	w := &display.Watch{}
	w.Set(display.StateOff)
	var statsReads, modemReads int
	m := New(Sources{
		Start: time.Now(), Version: "v1.2.3", Stats: func() store.Stats { statsReads++; return stats }, Quota: 1 << 30, Synced: func() bool { return true },
		Modem: func() modem.Status { modemReads++; return status }, Outbox: func() (ownersms.Stats, bool) { return outbox, outboxOn },
		Display: w, Conns: func() int { return 2 }, Box: testOutbox(t),
		Delivery: func() deliver.Stats {
			return deliver.Stats{Pushes: 5, PushFailures: 1, Fetches: 3, NotFound: 2, DeliveryReports: 1,
				PhoneReports: map[deliver.PhoneReport]uint64{{PDU: "notifyresp", Status: "deferred"}: 2, {PDU: "notifyresp", Status: "0x86"}: 1},
				States:       map[deliver.State]uint64{deliver.Notified: 4, deliver.Expired: 1}}
		},
	})
	m.OnResult(mmsc.ResultStored, 1234)
	m.OnResult(mmsc.ResultStored, 66)
	m.OnResult(mmsc.ResultCorrupt, 10)
	m.Refused(guard.ReasonRateLimited)
	m.LANRefused(guard.ReasonConnCap)
	var b bytes.Buffer
	m.Registry.WriteText(&b)
	text := b.String()
	if statsReads != 1 || modemReads != 1 { // one statfs per scrape, not one per family
		t.Errorf("one scrape read the store %d times and the modem %d times, want once each", statsReads, modemReads)
	}
	for _, line := range []string{
		"homemmsc_mms_received_total 2", "homemmsc_mms_received_bytes_total 1300",
		`homemmsc_mms_refused_total{reason="corrupt"} 1`, `homemmsc_mms_refused_total{reason="rate_limited"} 1`,
		`homemmsc_mms_refused_total{reason="not_allowed"} 0`, `homemmsc_mms_refused_total{reason="too_many_headers"} 0`,
		`homemmsc_lan_refused_total{reason="connection_cap"} 1`, `homemmsc_lan_refused_total{reason="header_too_large"} 0`,
		"homemmsc_store_messages 3", "homemmsc_store_unseen_messages 1", "homemmsc_store_bytes 4096",
		"homemmsc_store_free_bytes 1073741824", "homemmsc_store_quota_bytes 1073741824",
		"homemmsc_clock_synced 1", "homemmsc_mmsc_connections_open 2",
		"homemmsc_modem_present 1", "homemmsc_modem_registered 1", "homemmsc_modem_signal_rssi 17",
		`homemmsc_modem_registration{state="home network"} 1`,
		"homemmsc_sms_sent_total 4", "homemmsc_sms_failed_total 1", "homemmsc_sms_queued 2",
		`homemmsc_display_state{state="off"} 1`, `homemmsc_display_state{state="on"} 0`,
		`homemmsc_outbox_queued{kind="wap-push"} 1`, `homemmsc_outbox_sent_total{kind="wap-push"} 0`,
		`homemmsc_build_info{version="v1.2.3",goversion="go`,
		`homemmsc_delivery_pushes_total{result="sent"} 5`, `homemmsc_delivery_pushes_total{result="failed"} 1`,
		`homemmsc_delivery_fetches_total{result="found"} 3`, `homemmsc_delivery_fetches_total{result="not_found"} 2`,
		`homemmsc_delivery_reports_total{result="sent"} 1`, `homemmsc_delivery_reports_total{result="given_up"} 0`,
		`homemmsc_delivery_phone_reports_total{pdu="notifyresp",status="deferred"} 2`,
		`homemmsc_delivery_phone_reports_total{pdu="acknowledge",status="retrieved"} 0`,
		`homemmsc_delivery_phone_reports_total{pdu="notifyresp",status="0x86"} 1`,
		`homemmsc_delivery_recipients_total{state="notified"} 4`, `homemmsc_delivery_recipients_total{state="expired"} 1`,
		`homemmsc_delivery_recipients_total{state="failed"} 0`,
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
	status, outbox, outboxOn = modem.Status{Reg: "no modem", Signal: -1}, ownersms.Stats{}, false
	b.Reset()
	m.Registry.WriteText(&b)
	for _, gone := range []string{"homemmsc_modem_signal_rssi", "homemmsc_sms_sent_total"} {
		if strings.Contains(b.String(), gone) {
			t.Errorf("%s written with no value", gone)
		}
	}
}

func TestNoModemNoModemMetrics(t *testing.T) {
	m := New(Sources{Start: time.Now(), Stats: func() store.Stats { return store.Stats{FreeBytes: -1} }, Synced: func() bool { return false }})
	var b bytes.Buffer
	m.Registry.WriteText(&b)
	for _, gone := range []string{"homemmsc_modem_", "homemmsc_sms_", "homemmsc_store_free_bytes", "homemmsc_store_quota_bytes"} {
		if strings.Contains(b.String(), gone) {
			t.Errorf("%s written without its source", gone)
		}
	}
	metricstest.PromtoolCheck(t, b.Bytes())
}

// BenchmarkScrape is one GET /metrics of the appliance with a real store
// (its Stats does a statfs) and the /proc reads, without a modem.
func BenchmarkScrape(b *testing.B) {
	st, err := store.Open(store.Config{Dir: b.TempDir(), MinFree: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	m := New(Sources{Start: time.Now(), Stats: st.Stats, Synced: func() bool { return true }, Display: &display.Watch{}})
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	for b.Loop() {
		m.Registry.ServeHTTP(httptest.NewRecorder(), req)
	}
}

// testOutbox is an outbox with one wap-push item waiting.
func testOutbox(t *testing.T) *outbox.Outbox {
	t.Helper()
	box, err := outbox.Open(outbox.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { box.Close() })
	box.Handle("wap-push", outbox.Kind{Handler: nopHandler{}})
	if err := box.Add(outbox.Item{ID: "m1", Kind: "wap-push"}); err != nil {
		t.Fatal(err)
	}
	return box
}

type nopHandler struct{}

func (nopHandler) Send(context.Context, outbox.Item, func() error) error { return nil }
func (nopHandler) Done(outbox.Item, error)                               {}
