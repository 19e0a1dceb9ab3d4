package deliver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/phones"
)

// Result is the outcome of a reachability self-test: whether the phone
// fetched the test message after its notification, from where and with
// which client.
type Result struct {
	Phone     string        // its name
	Number    string        //
	Sent      time.Time     // when the notification went to the modem
	Fetched   bool          // the phone GOT the retrieve URL
	After     time.Duration // from Sent to the fetch
	Remote    string        // the address the fetch came from (the carrier's proxy or NAT)
	UserAgent string        // the phone's MMS client
	Profile   string        // its x-wap-profile, when sent
	Reported  string        // X-Mms-Status of its M-NotifyResp.ind, if one came
}

// String is the result as a few lines for the owner.
func (r Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "self-test of %s (%s): notification sent %s\n", r.Phone, r.Number, r.Sent.UTC().Format(time.RFC3339))
	if !r.Fetched {
		b.WriteString("NOT fetched: the phone did not reach this MMSC in time.\n" +
			"Check its MMSC setting, the port forward and -public-url; if a plain SMS arrives but no MMS, " +
			"the carrier may drop WAP push (turn on the SMS fallback for this phone).\n")
		return b.String()
	}
	fmt.Fprintf(&b, "fetched after %s from %s\nuser agent: %s\n", r.After.Round(time.Second), r.Remote, r.UserAgent)
	if r.Profile != "" {
		fmt.Fprintf(&b, "profile: %s\n", r.Profile)
	}
	if r.Reported != "" {
		fmt.Fprintf(&b, "phone reported: %s\n", r.Reported)
	}
	b.WriteString("OK: the phone reaches this MMSC.\n")
	return b.String()
}

// selfTest is one self-test in progress: a key and transaction id that
// lead to a small test message kept in memory only.
type selfTest struct {
	conf     *mms.Message
	res      Result
	done     chan struct{} // closed at the first fetch
	reported chan struct{} // closed at the first M-NotifyResp.ind
}

// fetched records the first fetch; called with d.mu held.
func (t *selfTest) fetched(now time.Time, f fetch) {
	if t.res.Fetched || f.view {
		return
	}
	t.res.Fetched, t.res.After = true, now.Sub(t.res.Sent)
	t.res.Remote, t.res.UserAgent, t.res.Profile = f.remote, f.userAgent, f.profile
	close(t.done)
}

// ErrBusy is returned by SelfTest while another one runs.
var ErrBusy = errors.New("deliver: a self-test is already running")

// maxSelfTests bounds the self-tests running at once.
const maxSelfTests = 2

// SelfTest sends a test notification to phone p and waits, until wait
// has passed or ctx is done, for the phone to fetch it. The test message
// lands in the phone's messages: "homemmsc reachability test". The
// error is for what kept the test from running (the modem); a phone that
// does not fetch is a Result with Fetched false.
func (d *Deliverer) SelfTest(ctx context.Context, p phones.Phone, wait time.Duration) (Result, error) {
	key, err := newKey(d.cfg.Rand)
	if err != nil {
		return Result{}, err
	}
	tid, err := newTID(d.cfg.Rand)
	if err != nil {
		return Result{}, err
	}
	now := d.cfg.Now()
	t := &selfTest{conf: testConf(tid, now), done: make(chan struct{}), reported: make(chan struct{}), res: Result{Phone: p.Name, Number: p.Number}}
	n, err := d.addTest(t, key, tid)
	if err != nil {
		return Result{}, err
	}
	defer d.removeTest(n, key, tid)
	rec := &Record{ID: "selftest", Expires: now.Add(wait + time.Minute), Size: 200, Subject: "homemmsc test"}
	pdu, err := d.notification(rec, tid, key, rec.Size)
	if err != nil {
		return Result{}, err
	}
	d.mu.Lock()
	t.res.Sent = d.cfg.Now()
	d.mu.Unlock()
	if err := d.cfg.Pusher.Push(ctx, p.Number, pdu); err != nil {
		return Result{}, fmt.Errorf("deliver: self-test notification: %w", err)
	}
	d.log.Info("deliver: self-test notification sent", "to", p.Name)
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-t.done:
		// Give the phone a moment to post its M-NotifyResp.ind.
		grace := time.NewTimer(min(5*time.Second, wait))
		defer grace.Stop()
		select {
		case <-grace.C:
		case <-t.reported:
		case <-ctx.Done():
		}
	case <-timer.C:
	case <-ctx.Done():
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return t.res, nil
}

func (d *Deliverer) addTest(t *selfTest, key, tid string) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.tests) >= maxSelfTests {
		return 0, ErrBusy
	}
	d.nextT++
	n := d.nextT
	d.tests[n] = t
	d.keys.add(key, slot{rcp: n})
	d.tids[tid] = slot{rcp: n}
	return n, nil
}

func (d *Deliverer) removeTest(n int, key, tid string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.tests, n)
	d.keys.remove(key)
	delete(d.tids, tid)
}

// testReport records the M-NotifyResp.ind of a self-test; called with
// d.mu held.
func (d *Deliverer) testReport(n int, _ string, _ mms.MessageType, status byte) error {
	if t, ok := d.tests[n]; ok && t.res.Reported == "" {
		t.res.Reported = statusName(status)
		close(t.reported)
	}
	return nil
}

// testConf is the small message a self-test delivers.
func testConf(tid string, now time.Time) *mms.Message {
	text := "homemmsc reachability test, " + now.UTC().Format("2006-01-02 15:04 MST") +
		": your phone fetched this from your own MMSC."
	return &mms.Message{
		Type: mms.TypeRetrieveConf, TransactionID: tid, Version: mms.Version12,
		MessageID: "selftest-" + tid, Date: now,
		Subject:     mms.Text("homemmsc test"),
		ContentType: mms.ContentType{MediaType: mediaMixed},
		Parts:       []mms.Part{textPart(text)},
	}
}
