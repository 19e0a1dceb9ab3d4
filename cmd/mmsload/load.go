package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// A sendFunc stores the message with the given Transaction-Id and
// returns "" when it was answered OK, or why not.
type sendFunc func(ctx context.Context, tid string) string

// A loadSpec says what one row of load is.
type loadSpec struct {
	URL      string        // where to POST (when Sender is nil)
	Clients  int           // concurrent clients, each on its own keep-alive connection
	Warmup   time.Duration // load before the measured window: stored and checked, not timed
	Duration time.Duration // the measured window
	Count    int           // at most this many messages in all (warm-up included); 0 = no limit
	PDU      *pduTemplate
	// Strict: a message is OK only when the reply is an M-Send.conf with
	// status Ok, the request's Transaction-Id and a Message-ID. Otherwise
	// HTTP 200 is enough (the seed page answers malformed M-Send.conf).
	Strict bool
	// Window, when set, is called at the start and the end of the
	// measured window (CPU snapshots).
	Window func(end bool)
	// Sender, when set, makes each client's sendFunc, in place of a
	// POST to URL: the log design stores without HTTP.
	Sender func() sendFunc
}

// loadResult is what the clients saw.
type loadResult struct {
	Elapsed  time.Duration   // length of the measured window
	Measured int             // requests started inside the window
	OK       int             // of those, answered OK
	Failed   int             // of those, answered otherwise or not at all
	Latency  []time.Duration // of the measured requests, sorted
	OKIDs    []string        // Transaction-Ids answered OK, warm-up included
	Sent     int             // requests sent, warm-up included
	Errors   map[string]int  // failure reasons, all phases
}

// ReqPerSec is the rate of OK messages in the measured window.
func (r loadResult) ReqPerSec() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.OK) / r.Elapsed.Seconds()
}

// Percentile returns the q-quantile (0..1) of the measured latencies.
func (r loadResult) Percentile(q float64) time.Duration {
	if len(r.Latency) == 0 {
		return 0
	}
	i := int(q*float64(len(r.Latency)) + 0.5)
	return r.Latency[min(max(i-1, 0), len(r.Latency)-1)]
}

// clientLog is one client's record, merged when the row ends.
type clientLog struct {
	measured, ok, failed, sent int
	latency                    []time.Duration
	okIDs                      []string
	errors                     map[string]int
}

const (
	phaseWarmup int32 = iota
	phaseMeasure
	phaseDone
)

// runLoad runs one row: Clients goroutines POST PDUs back to back over
// keep-alive connections until the window ends or Count is used up.
func runLoad(ctx context.Context, spec loadSpec) (loadResult, error) {
	if spec.Clients < 1 || spec.PDU == nil {
		return loadResult{}, fmt.Errorf("load: need at least one client and a pdu")
	}
	sender := spec.Sender
	if sender == nil {
		var done func()
		sender, done = httpSender(spec)
		defer done()
	}
	var phase atomic.Int32
	var tickets atomic.Int64
	var start time.Time
	if spec.Warmup <= 0 { // no warm-up: every request is measured
		start = openWindow(spec, &phase)
	}
	logs := make([]clientLog, spec.Clients)
	var wg sync.WaitGroup
	for i := range logs {
		logs[i].errors = map[string]int{}
		send := sender()
		wg.Go(func() { client(ctx, send, spec, &phase, &tickets, &logs[i]) })
	}
	allDone := make(chan struct{})
	go func() { wg.Wait(); close(allDone) }()

	if spec.Warmup > 0 {
		select {
		case <-time.After(spec.Warmup):
		case <-allDone:
		}
		start = openWindow(spec, &phase)
	}
	select {
	case <-time.After(spec.Duration):
	case <-allDone:
	case <-ctx.Done():
	}
	phase.Store(phaseDone)
	<-allDone
	elapsed := time.Since(start)
	if spec.Window != nil {
		spec.Window(true)
	}
	return merge(logs, elapsed), ctx.Err()
}

// openWindow opens the measured window.
func openWindow(spec loadSpec, phase *atomic.Int32) time.Time {
	if spec.Window != nil {
		spec.Window(false)
	}
	phase.Store(phaseMeasure)
	return time.Now()
}

// httpSender makes the clients' sendFuncs: each POSTs to spec.URL over
// a shared transport, one keep-alive connection per client. done closes
// the idle connections.
func httpSender(spec loadSpec) (sender func() sendFunc, done func()) {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConnsPerHost: spec.Clients,
		MaxConnsPerHost:     spec.Clients,
		DisableCompression:  true,
	}
	hc := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	send := func(ctx context.Context, tid string) string { return post(ctx, hc, spec, tid) }
	return func() sendFunc { return send }, tr.CloseIdleConnections
}

func client(ctx context.Context, send sendFunc, spec loadSpec, phase *atomic.Int32, tickets *atomic.Int64, log *clientLog) {
	for ctx.Err() == nil {
		ph := phase.Load()
		if ph == phaseDone {
			return
		}
		seq := tickets.Add(1)
		if spec.Count > 0 && seq > int64(spec.Count) {
			return
		}
		tid := spec.PDU.tid(uint64(seq))
		t0 := time.Now()
		reason := send(ctx, tid)
		d := time.Since(t0)
		log.sent++
		if reason == "" {
			log.okIDs = append(log.okIDs, tid)
		} else {
			log.errors[reason]++
		}
		if ph != phaseMeasure {
			continue
		}
		log.measured++
		log.latency = append(log.latency, d)
		if reason == "" {
			log.ok++
		} else {
			log.failed++
		}
	}
}

// post sends one PDU and returns "" when it was answered OK, or why not.
func post(ctx context.Context, hc *http.Client, spec loadSpec, tid string) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, spec.URL, spec.PDU.reader(tid))
	if err != nil {
		return "request: " + err.Error()
	}
	req.ContentLength = int64(spec.PDU.size)
	req.Header.Set("Content-Type", "application/vnd.wap.mms-message")
	req.Header.Set("User-Agent", "mmsload/1 (homemmsc load test)")
	resp, err := hc.Do(req)
	if err != nil {
		return "transport error"
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if err != nil {
		return "reading reply"
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Sprintf("HTTP %d", resp.StatusCode)
	}
	if !spec.Strict {
		return ""
	}
	return checkConf(body, tid)
}

// checkConf returns "" when body is an M-Send.conf accepting tid.
func checkConf(body []byte, tid string) string {
	c, err := parseSendConf(body)
	switch {
	case err != nil:
		return "malformed M-Send.conf"
	case c.Status != 0x80:
		return fmt.Sprintf("M-Send.conf status %#x", c.Status)
	case c.TransactionID != tid:
		return "M-Send.conf with another Transaction-Id"
	case c.MessageID == "":
		return "M-Send.conf without Message-ID"
	}
	return ""
}

func merge(logs []clientLog, elapsed time.Duration) loadResult {
	r := loadResult{Elapsed: elapsed, Errors: map[string]int{}}
	for _, l := range logs {
		r.Measured += l.measured
		r.OK += l.ok
		r.Failed += l.failed
		r.Sent += l.sent
		r.Latency = append(r.Latency, l.latency...)
		r.OKIDs = append(r.OKIDs, l.okIDs...)
		for k, v := range l.errors {
			r.Errors[k] += v
		}
	}
	slices.Sort(r.Latency)
	return r
}
