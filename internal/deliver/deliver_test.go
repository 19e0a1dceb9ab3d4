package deliver

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/store"
)

// The whole happy path: B is notified, fetches the message with its
// parts intact, reports it retrieved, and A gets its delivery report. C,
// not paired, is kept for the owner only.
func TestRetrieved(t *testing.T) {
	e := newEnv(t)
	req := sendReq(func(m *mms.Message) { m.DeliveryReport = mms.Yes })
	id := e.put(req)
	if got := e.state(id, 1); got.State != Kept || got.Number != "" {
		t.Errorf("C: %+v, want kept", got)
	}
	e.drain()
	ns := e.pusher.pushes(t, numB)
	if len(ns) != 1 {
		t.Fatalf("%d pushes to B, want 1", len(ns))
	}
	n := ns[0]
	if n.Type != mms.TypeNotificationInd || n.MessageSize == 0 || n.Expiry.Relative != DefaultExpiry {
		t.Errorf("notification: type %v size %d expiry %v", n.Type, n.MessageSize, n.Expiry)
	}
	if got := n.From.String(); got != numA+"/TYPE=PLMN" {
		t.Errorf("notification From %q", got)
	}
	if got := e.state(id, 0); got.State != Notified || got.Notifications != 1 {
		t.Errorf("B after the push: %+v", got)
	}
	conf := e.retrieve(n.ContentLocation)
	if conf.Type != mms.TypeRetrieveConf || conf.TransactionID != n.TransactionID || conf.MessageID != id {
		t.Errorf("M-Retrieve.conf: type %v tid %q (notification %q) message id %q (want %q)",
			conf.Type, conf.TransactionID, n.TransactionID, conf.MessageID, id)
	}
	if conf.RetrieveStatus != 0 {
		t.Errorf("X-Mms-Retrieve-Status 0x%02X on success", conf.RetrieveStatus)
	}
	if got := conf.From.String(); got != numA+"/TYPE=PLMN" || conf.From.Insert {
		t.Errorf("From %q insert=%v, want the real sender", got, conf.From.Insert)
	}
	samePartData(t, conf.Parts, req.Parts)
	if got := e.state(id, 0); got.Fetched.IsZero() || got.UserAgent != "TestPhone/1.0" || got.FetchedBy == "" {
		t.Errorf("fetch not recorded: %+v", got)
	}
	if v, ok := e.phones.LastVisit(tokB); !ok || v.What != "retrieve" || v.UserAgent != "TestPhone/1.0" {
		t.Errorf("Ben's last visit %+v, %v; want the retrieve", v, ok)
	}
	if err := e.report(numB, mms.TypeNotifyRespInd, n.TransactionID, mms.DeliveryRetrieved); err != nil {
		t.Fatal(err)
	}
	if got := e.state(id, 0); got.State != Retrieved || got.Report != ReportDue {
		t.Errorf("B after M-NotifyResp.ind: %+v", got)
	}
	e.drain()
	reports := e.pusher.pushes(t, numA)
	if len(reports) != 1 {
		t.Fatalf("%d pushes to A, want 1 delivery report", len(reports))
	}
	checkDeliveryInd(t, reports[0], id, numB, mms.DeliveryRetrieved)
	if got := e.state(id, 0); got.Report != ReportSent {
		t.Errorf("report state %q", got.Report)
	}
	meta, _ := e.st.Get(id)
	if d := meta.Delivery; len(d) != 2 || d[0].State != "retrieved" || d[0].Phone != "Ben" || d[1].State != "kept" {
		t.Errorf("states in the store's metadata: %+v", d)
	}
	e.clock.Add(DefaultExpiry)
	e.drain()
	if got := len(e.pusher.all()); got != 2 {
		t.Errorf("%d sends in all, want 2: nothing after the retrieval", got)
	}
}

func samePartData(t *testing.T, got, want []mms.Part) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d parts, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i].Data, want[i].Data) {
			t.Errorf("part %d differs from the posted one", i)
		}
		if got[i].ContentType.MediaType != want[i].ContentType.MediaType {
			t.Errorf("part %d type %q, want %q", i, got[i].ContentType.MediaType, want[i].ContentType.MediaType)
		}
	}
}

func checkDeliveryInd(t *testing.T, m *mms.Message, id, about string, status byte) {
	t.Helper()
	if m.Type != mms.TypeDeliveryInd || m.MessageID != id || m.Status != status ||
		len(m.To) != 1 || m.To[0].String() != about+"/TYPE=PLMN" {
		t.Errorf("M-Delivery.ind: type %v id %q status 0x%02X to %v; want id %q status 0x%02X about %s",
			m.Type, m.MessageID, m.Status, m.To, id, status, about)
	}
}

// Deferred: the phone will fetch later, so it is notified again on the
// schedule, and its M-Acknowledge.ind after the fetch marks it retrieved.
func TestDeferred(t *testing.T) {
	e := newEnv(t)
	id := e.put(sendReq(nil))
	e.drain()
	n := e.pusher.pushes(t, numB)[0]
	if err := e.report(numB, mms.TypeNotifyRespInd, n.TransactionID, mms.DeliveryDeferred); err != nil {
		t.Fatal(err)
	}
	if got := e.state(id, 0); got.State != Deferred {
		t.Fatalf("state %q, want deferred", got.State)
	}
	e.clock.Add(DefaultSchedule.Renotify[0] - time.Second)
	e.drain()
	if got := len(e.pusher.pushes(t, numB)); got != 1 {
		t.Errorf("re-notified before the schedule: %d pushes", got)
	}
	e.clock.Add(time.Second)
	e.drain()
	ns := e.pusher.pushes(t, numB)
	if len(ns) != 2 || ns[1].TransactionID != n.TransactionID || ns[1].ContentLocation != n.ContentLocation {
		t.Fatalf("re-notification: %d pushes, want 2 with the same transaction and location", len(ns))
	}
	if ns[1].Expiry.Relative >= ns[0].Expiry.Relative {
		t.Errorf("expiry %v in the second notification, not less than %v", ns[1].Expiry.Relative, ns[0].Expiry.Relative)
	}
	e.retrieve(n.ContentLocation)
	if err := e.report(numB, mms.TypeAcknowledgeInd, n.TransactionID, 0); err != nil {
		t.Fatal(err)
	}
	if got := e.state(id, 0); got.State != Retrieved || got.Report != NoReport {
		t.Errorf("after M-Acknowledge.ind: %+v, want retrieved and no report (none asked)", got)
	}
}

// Rejected: the URL goes dead and the sender hears of it.
func TestRejected(t *testing.T) {
	e := newEnv(t)
	id, n := e.notifiedWithReport()
	if err := e.report(numB, mms.TypeNotifyRespInd, n.TransactionID, mms.DeliveryRejected); err != nil {
		t.Fatal(err)
	}
	if got := e.state(id, 0); got.State != Rejected {
		t.Fatalf("state %q, want rejected", got.State)
	}
	checkNotFound(t, e.retrieve(n.ContentLocation))
	e.drain()
	checkDeliveryInd(t, e.pusher.pushes(t, numA)[0], id, numB, mms.DeliveryRejected)
	// A late "retrieved" does not undo the rejection.
	if err := e.report(numB, mms.TypeNotifyRespInd, n.TransactionID, mms.DeliveryRetrieved); err != nil {
		t.Fatal(err)
	}
	if got := e.state(id, 0); got.State != Rejected {
		t.Errorf("state %q after a late report, want rejected", got.State)
	}
}

func checkNotFound(t *testing.T, m *mms.Message) {
	t.Helper()
	if m.Type != mms.TypeRetrieveConf || m.RetrieveStatus != mms.RetrievePermanentMessageNotFound {
		t.Errorf("type %v retrieve status 0x%02X, want M-Retrieve.conf with 0xE2", m.Type, m.RetrieveStatus)
	}
}

// Expired: re-notified on the schedule until the expiry the M-Send.req
// asked for (less than the configured one), then expired and reported.
func TestExpired(t *testing.T) {
	e := newEnv(t)
	id := e.put(sendReq(func(m *mms.Message) {
		m.DeliveryReport = mms.Yes
		m.Expiry = mms.TimeValue{Relative: 2 * time.Hour}
	}))
	e.drain()
	n := e.pusher.pushes(t, numB)[0]
	if n.Expiry.Relative != 2*time.Hour {
		t.Errorf("notification expiry %v, want the 2h the sender asked", n.Expiry.Relative)
	}
	for range 12 {
		e.clock.Add(10 * time.Minute)
		e.drain()
	}
	// Notified at 0, then 10 min and 1 h later: 3 notifications in 2 h.
	if got := len(e.pusher.pushes(t, numB)); got != 3 {
		t.Errorf("%d notifications in 2 h, want 3 (0, +10m, +1h10m)", got)
	}
	if got := e.state(id, 0); got.State != Expired {
		t.Fatalf("state %q, want expired", got.State)
	}
	checkNotFound(t, e.retrieve(n.ContentLocation))
	checkDeliveryInd(t, e.pusher.pushes(t, numA)[0], id, numB, mms.DeliveryExpired)
}

// Send errors are retried by the outbox with a doubling back-off; a
// permanent one ends the delivery.
func TestBackoff(t *testing.T) {
	e := newEnv(t)
	e.pusher.fail = []error{errors.New("modem absent"), errors.New("modem absent"), errors.New("timeout")}
	id := e.put(sendReq(nil))
	var waits []time.Duration
	for range 3 {
		e.drain()
		items := e.box.Items(KindPush)
		if len(items) != 1 {
			t.Fatalf("%d notifications queued, want 1", len(items))
		}
		waits = append(waits, items[0].NextTry.Sub(e.clock.Now()))
		e.clock.Add(items[0].NextTry.Sub(e.clock.Now()))
	}
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute}
	if !equalDurations(waits, want) {
		t.Errorf("back-off %v, want %v", waits, want)
	}
	if it := e.box.Items(KindPush)[0]; e.state(id, 0).State != Pending || it.Attempts != 3 || it.LastErr != "timeout" {
		t.Errorf("after 3 errors: %+v, item %+v", e.state(id, 0), it)
	}
	e.drain()
	if got := e.state(id, 0); got.State != Notified || got.Queued != "" {
		t.Errorf("after a success: %+v", got)
	}
	e.pusher.fail = []error{errPermanent}
	e.clock.Add(DefaultSchedule.Renotify[0])
	e.drain()
	if got := e.state(id, 0); got.State != Failed {
		t.Errorf("after a permanent error: state %q, want failed", got.State)
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A phone that fetched but never reported is not notified again: it
// counts as retrieved when the next notification would be due.
func TestFetchedWithoutReport(t *testing.T) {
	e := newEnv(t)
	id := e.put(sendReq(nil))
	e.drain()
	e.retrieve(e.pusher.pushes(t, numB)[0].ContentLocation)
	e.clock.Add(time.Hour)
	e.drain()
	if got := len(e.pusher.pushes(t, numB)); got != 1 {
		t.Errorf("%d notifications, want 1", got)
	}
	if got := e.state(id, 0); got.State != Retrieved {
		t.Errorf("state %q, want retrieved", got.State)
	}
}

// States, keys and transaction ids survive a restart.
func TestRestart(t *testing.T) {
	e := newEnv(t)
	id, n := e.notifiedWithReport()
	e.open()
	if got := e.state(id, 0); got.State != Notified || got.Notifications != 1 {
		t.Fatalf("after a restart: %+v", got)
	}
	conf := e.retrieve(n.ContentLocation)
	if conf.RetrieveStatus != 0 || conf.MessageID != id {
		t.Errorf("after a restart the URL gives status 0x%02X id %q", conf.RetrieveStatus, conf.MessageID)
	}
	if err := e.report(numB, mms.TypeNotifyRespInd, n.TransactionID, mms.DeliveryRetrieved); err != nil {
		t.Fatal(err)
	}
	e.open() // the report is due, not yet sent
	e.drain()
	checkDeliveryInd(t, e.pusher.pushes(t, numA)[0], id, numB, mms.DeliveryRetrieved)
}

// Recover picks up a stored message that never reached the Deliverer,
// but not one stored before delivery was turned on.
func TestRecover(t *testing.T) {
	e := newEnv(t)
	id := e.put(sendReq(nil))
	e.d.Forget(id) // as if the crash came before the record was written
	e.clock.Add(time.Minute)
	all, _ := e.st.Query(store.Query{})
	e.d.Recover(all)
	if got := e.d.States(id); len(got) != 2 {
		t.Fatalf("recovered %d recipients, want 2", len(got))
	}
	e2 := newEnv(t)
	e2.clock.Add(time.Hour)
	e2.open()         // a new directory: since is now
	e2.d.Recover(all) // messages from before
	if got := e2.d.States(id); got != nil {
		t.Errorf("a message from before delivery was on was recovered: %+v", got)
	}
}

// A report about someone else's notification is refused; an unknown
// transaction id too.
func TestReportChecks(t *testing.T) {
	e := newEnv(t)
	id := e.put(sendReq(nil))
	e.drain()
	n := e.pusher.pushes(t, numB)[0]
	if err := e.report(numA, mms.TypeNotifyRespInd, n.TransactionID, mms.DeliveryRejected); !errors.Is(err, ErrNotRecipient) {
		t.Errorf("report from A about B's notification: %v, want ErrNotRecipient", err)
	}
	if err := e.report(numB, mms.TypeNotifyRespInd, "h"+strings.Repeat("a", 16), mms.DeliveryRejected); !errors.Is(err, ErrUnknownTransaction) {
		t.Errorf("unknown transaction: %v", err)
	}
	if err := e.report(numB, mms.TypeSendReq, n.TransactionID, mms.DeliveryRejected); !errors.Is(err, ErrNotReport) {
		t.Errorf("M-Send.req as a report: %v", err)
	}
	if got := e.state(id, 0); got.State != Notified {
		t.Errorf("state %q after refused reports, want notified", got.State)
	}
	// The open endpoint does not say who posted: the transaction id is enough.
	if err := e.report("", mms.TypeNotifyRespInd, n.TransactionID, mms.DeliveryRetrieved); err != nil || e.state(id, 0).State != Retrieved {
		t.Errorf("report without a phone: %v, state %q", err, e.state(id, 0).State)
	}
}

// A message with no paired recipient gets no record, and Unpaired lists
// who it is kept for; national forms of a paired number match.
func TestUnpaired(t *testing.T) {
	e := newEnv(t)
	id := e.put(sendReq(func(m *mms.Message) { m.To = []mms.Address{mms.PLMN(numC)} }))
	if got := e.d.States(id); got != nil {
		t.Errorf("states %+v for a message to nobody paired", got)
	}
	meta, _ := e.st.Get(id)
	if got := Unpaired(meta, e.phones); len(got) != 1 || got[0] != numC {
		t.Errorf("Unpaired = %q, want [%s]", got, numC)
	}
	id2 := e.put(sendReq(func(m *mms.Message) { m.To = []mms.Address{mms.PLMN("0015552220002"), mms.PLMN(numB)} }))
	rs := e.d.States(id2)
	if len(rs) != 2 || rs[0].State != Pending || rs[0].Number != numB || rs[1].State != Kept {
		t.Errorf("national and international form of B: %+v, want one pending and one kept duplicate", rs)
	}
}

func TestStatesHideSecrets(t *testing.T) {
	e := newEnv(t)
	id := e.put(sendReq(nil))
	for _, rc := range e.d.States(id) {
		if rc.Key != "" || rc.TID != "" {
			t.Errorf("States leaks the key or transaction id: %+v", rc)
		}
	}
}

// The fallback phone also gets a plain SMS with a link that opens in a
// browser, once.
func TestFallback(t *testing.T) {
	e := newEnv(t)
	if err := e.phones.SetFallback(tokB, true); err != nil {
		t.Fatal(err)
	}
	id := e.put(sendReq(nil))
	e.drain()
	e.clock.Add(DefaultSchedule.Renotify[0])
	e.drain()
	var texts []string
	for _, s := range e.pusher.all() {
		if s.text != "" {
			texts = append(texts, s.text)
		}
	}
	if len(texts) != 1 {
		t.Fatalf("%d fallback texts, want 1: %q", len(texts), texts)
	}
	link := texts[0][strings.Index(texts[0], "http://"):]
	if !strings.HasPrefix(texts[0], `MMS from Anna: "Hi Ben" - view it at http://mms.example.org:8080/v/`) {
		t.Errorf("fallback text %q", texts[0])
	}
	w := e.get(strings.TrimPrefix(link, "http://mms.example.org:8080"))
	body := w.Body.String()
	if w.Code != http.StatusOK || !strings.Contains(body, "Look &lt;b&gt;at&lt;/b&gt; this &amp; that") {
		t.Errorf("view page: HTTP %d, text not escaped or missing:\n%s", w.Code, body)
	}
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP %q", csp)
	}
	if got := e.state(id, 0); got.Fetched.IsZero() {
		t.Errorf("the browser view is not recorded as a fetch")
	}
}

// A deleted message's URL goes dead and its record file goes.
func TestForget(t *testing.T) {
	e := newEnv(t)
	id := e.put(sendReq(nil))
	e.drain()
	n := e.pusher.pushes(t, numB)[0]
	if err := e.st.Delete(id); err != nil {
		t.Fatal(err)
	}
	checkNotFound(t, e.retrieve(n.ContentLocation)) // gone from the store already
	e.d.Forget(id)
	checkNotFound(t, e.retrieve(n.ContentLocation))
	if e.d.States(id) != nil {
		t.Errorf("states kept after Forget")
	}
	e.open()
	if e.d.States(id) != nil {
		t.Errorf("record back after a restart")
	}
}

// X-Mms-Report-Allowed no: the sender hears nothing about this recipient.
func TestReportNotAllowed(t *testing.T) {
	e := newEnv(t)
	id, n := e.notifiedWithReport()
	err := e.d.Report(numB, &mms.Message{Type: mms.TypeNotifyRespInd, TransactionID: n.TransactionID,
		Version: mms.Version12, Status: mms.DeliveryRetrieved, ReportAllowed: mms.No})
	if err != nil {
		t.Fatal(err)
	}
	e.drain()
	if got := e.state(id, 0); got.State != Retrieved || got.Report != NoReport || len(e.pusher.pushes(t, numA)) != 0 {
		t.Errorf("state %+v, %d reports to A; want retrieved and none", got, len(e.pusher.pushes(t, numA)))
	}
}

// TestSetPublicURL: a notification sent after SetPublicURL (the router
// mapped another port) carries the new base, and its key retrieves.
func TestSetPublicURL(t *testing.T) {
	e := newEnv(t)
	e.d.SetPublicURL("http://mms.example.org:18080/")
	e.put(sendReq(nil))
	e.drain()
	ns := e.pusher.pushes(t, numB)
	if len(ns) != 1 || !strings.HasPrefix(ns[0].ContentLocation, "http://mms.example.org:18080/m/") {
		t.Fatalf("notifications %d, Content-Location %q", len(ns), ns[0].ContentLocation)
	}
	path := strings.TrimPrefix(ns[0].ContentLocation, "http://mms.example.org:18080")
	if w := e.get(path, "User-Agent", "TestPhone/1.0"); w.Code != http.StatusOK {
		t.Errorf("GET %s: HTTP %d", path, w.Code)
	}
}

// TestClockJump: a message received while the clock was not synchronised
// (a Pi boots without a clock battery) is not expired when NTP's first
// sync moves the clock years on: its wait counts from then, in the run
// that saw the jump and after a restart. Just before the end of that wait
// the phone can still fetch it; just after, it has expired.
func TestClockJump(t *testing.T) {
	for _, restart := range []bool{false, true} {
		for _, fetch := range []bool{false, true} {
			e := newEnv(t)
			e.clock.Set(time.Date(1970, 1, 1, 0, 5, 0, 0, time.UTC)) // booted at the epoch
			e.track = true
			e.open()
			id := e.put(sendReq(nil))
			e.drain()
			n := e.pusher.pushes(t, numB)[0]
			e.clock.Set(t0) // NTP's first sync
			e.synced.Store(true)
			if restart {
				e.open()
			}
			e.drain()
			if got := e.state(id, 0); got.State != Notified {
				t.Fatalf("restart %v: after the clock's jump the state is %q, want notified", restart, got.State)
			}
			e.clock.Add(DefaultExpiry - time.Minute)
			e.drain()
			if fetch {
				if conf := e.retrieve(n.ContentLocation); conf.RetrieveStatus != 0 || conf.MessageID != id {
					t.Errorf("restart %v: a minute before the end of its wait after the jump, the URL gives status 0x%02X", restart, conf.RetrieveStatus)
				}
				continue
			}
			e.clock.Add(2 * time.Minute)
			e.drain()
			if got := e.state(id, 0); got.State != Expired {
				t.Errorf("restart %v: state %q a full wait after the jump, want expired", restart, got.State)
			}
		}
	}
}
