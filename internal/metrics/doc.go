// Package metrics is a small registry of counters and gauges written in
// the Prometheus text exposition format, version 0.0.4: what a Prometheus
// server (or any scraper that speaks it) reads from GET /metrics.
//
// It is hand-written rather than the Prometheus client library because the
// appliance needs a few dozen series and nothing else: no histograms, no
// push, no protobuf, no process collector.
//
// # The format
//
// Each metric family is written as
//
//	# HELP homemmsc_mms_refused_total MMS refused, by reason.
//	# TYPE homemmsc_mms_refused_total counter
//	homemmsc_mms_refused_total{reason="corrupt"} 3
//
// one sample per line, "\n" line ends, families in registration order and
// the series of a family sorted by their label values, so two scrapes of
// the same state are byte-identical. In HELP text a backslash and a line
// feed are escaped as \\ and \n; in a label value, also the double quote
// as \". Values are Go float64 in their shortest form, with +Inf, -Inf
// and NaN spelled as the format asks. Metric names match
// [a-zA-Z_:][a-zA-Z0-9_:]* and label names [a-zA-Z_][a-zA-Z0-9_]*, not
// starting with "__"; registering a bad or duplicate name panics, as it is
// a programming error found by the first test that builds the registry.
//
// Counters only go up (Add takes a uint64); gauges are set or added to;
// a Func family is computed at each scrape (store size, free space, modem
// signal) and may return no samples, in which case the family is left out.
// An OnScrape hook runs before the families at each scrape, so that Func
// families sharing one source read it once per scrape.
// Label values are meant to come from a fixed set chosen by the program
// (an outcome name, a state), never from a request: every distinct value
// is a series kept forever.
//
// Everything is safe for concurrent use: counters and gauges are atomic,
// so the MMSC's hot path never takes a lock to count.
//
// # Specs
//
//   - Prometheus "Exposition formats", text-based format (version 0.0.4):
//     https://prometheus.io/docs/instrumenting/exposition_formats/
//   - Prometheus "Metric and label naming" (units, _total, _info).
package metrics
