// Package appmetrics defines the appliance's Prometheus families, served
// as /metrics on the LAN listener: what the MMSC received and refused,
// the store, the process and Go runtime, the clock, the modem and the
// owner's SMS outbox, the display. The README's metrics table lists them.
//
// Counters are bumped as things happen (OnResult, Refused, ConnRefused;
// [Refusals] bumps the guards' counters and notes the same refusal in the
// log's summary);
// everything else is read from its source at each scrape, once per scrape
// for a source that several families share (one statfs for the store's
// four gauges, not four). A source that is not configured (no modem, no
// outbox, no quota) leaves its families or samples out rather than
// reporting zeros that look like a measurement.
//
// The text format and the registry are internal/metrics'.
package appmetrics
