package appmetrics

import (
	"slices"
	"strings"

	"github.com/homemmsc/homemmsc/internal/deliver"
	"github.com/homemmsc/homemmsc/internal/metrics"
)

// deliveryStates are the states a recipient enters that are counted,
// each listed from 0 (deliver.Pending and Kept are where records start).
var deliveryStates = []deliver.State{deliver.Notified, deliver.Deferred, deliver.Retrieved, deliver.Rejected, deliver.Expired, deliver.Failed}

// phoneReports are the reports listed from 0; others appear when seen.
var phoneReports = []deliver.PhoneReport{
	{PDU: "notifyresp", Status: "retrieved"}, {PDU: "notifyresp", Status: "deferred"},
	{PDU: "notifyresp", Status: "rejected"}, {PDU: "notifyresp", Status: "unrecognised"},
	{PDU: "acknowledge", Status: "retrieved"},
}

// registerDelivery adds the delivery counters; none without delivery.
func registerDelivery(r *metrics.Registry, stats func() deliver.Stats) {
	if stats == nil {
		return
	}
	stats = perScrape(r, stats)
	pair := func(name, help, label, a, b string, get func(deliver.Stats) (uint64, uint64)) {
		r.Func(name, help, metrics.TypeCounter, []string{label}, func() []metrics.Sample {
			x, y := get(stats())
			return []metrics.Sample{labeled(label, a, x), labeled(label, b, y)}
		})
	}
	pair("homemmsc_delivery_pushes_total", "MMS notifications (WAP push) to paired phones, by result.", "result", "sent", "failed",
		func(s deliver.Stats) (uint64, uint64) { return s.Pushes, s.PushFailures })
	pair("homemmsc_delivery_fetches_total", "GETs of a retrieve URL, by result: the message, or not found (wrong, expired or ended link).", "result", "found", "not_found",
		func(s deliver.Stats) (uint64, uint64) { return s.Fetches, s.NotFound })
	pair("homemmsc_delivery_reports_total", "Delivery reports (M-Delivery.ind) to senders who asked, by result.", "result", "sent", "given_up",
		func(s deliver.Stats) (uint64, uint64) { return s.DeliveryReports, s.DeliveryReportsLost })
	r.Func("homemmsc_delivery_phone_reports_total", "M-NotifyResp.ind and M-Acknowledge.ind phones posted, by PDU and X-Mms-Status.",
		metrics.TypeCounter, []string{"pdu", "status"}, func() []metrics.Sample { return phoneReportSamples(stats().PhoneReports) })
	r.Func("homemmsc_delivery_recipients_total", "Recipients entering a delivery state (notified, deferred, retrieved, rejected, expired, failed).",
		metrics.TypeCounter, []string{"state"}, func() []metrics.Sample {
			var out []metrics.Sample
			for _, st := range deliveryStates {
				out = append(out, labeled("state", string(st), stats().States[st]))
			}
			return out
		})
}

func phoneReportSamples(counts map[deliver.PhoneReport]uint64) []metrics.Sample {
	keys := slices.Clone(phoneReports)
	for k := range counts {
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	slices.SortStableFunc(keys[len(phoneReports):], func(a, b deliver.PhoneReport) int {
		return strings.Compare(a.PDU+" "+a.Status, b.PDU+" "+b.Status)
	})
	var out []metrics.Sample
	for _, k := range keys {
		out = append(out, metrics.Sample{Labels: []metrics.Label{{Name: "pdu", Value: k.PDU}, {Name: "status", Value: k.Status}}, Value: float64(counts[k])})
	}
	return out
}

func labeled(name, value string, v uint64) metrics.Sample {
	return metrics.Sample{Labels: []metrics.Label{{Name: name, Value: value}}, Value: float64(v)}
}
