package deliver

import (
	"time"

	"github.com/homemmsc/homemmsc/internal/mms"
)

// State is where one recipient of a message stands.
type State string

// Recipient states. Retrieved, Rejected, Expired, Failed and Kept are
// final: nothing more is sent for that recipient (but a delivery report
// may still be due).
const (
	Pending   State = "pending"   // a paired phone; no notification sent yet
	Notified  State = "notified"  // notified; waiting for the phone to fetch it
	Deferred  State = "deferred"  // the phone said it will fetch later (M-NotifyResp.ind deferred)
	Retrieved State = "retrieved" // fetched and confirmed, or fetched and the notification round is over
	Rejected  State = "rejected"  // the phone refused it (M-NotifyResp.ind rejected)
	Expired   State = "expired"   // not retrieved before the expiry
	Failed    State = "failed"    // the modem refused the number for good
	Kept      State = "kept"      // not a paired phone: the message is kept for the owner only
)

// Final reports whether nothing more will be sent to the recipient.
func (s State) Final() bool {
	switch s {
	case Retrieved, Rejected, Expired, Failed, Kept:
		return true
	}
	return false
}

// Report is the state of the delivery report owed to the sender for one
// recipient.
type Report string

// Delivery report states.
const (
	NoReport   Report = ""       // none asked, or not yet due
	ReportDue  Report = "due"    // to be pushed to the sender
	ReportSent Report = "sent"   // pushed
	ReportLost Report = "failed" // gave up after maxReportTries
)

// Recipient is one To/Cc/Bcc address of a message and its delivery.
type Recipient struct {
	Address string `json:"address"`        // as the PDU gave it, e.g. "+15551234567/TYPE=PLMN"
	Number  string `json:"number"`         // the paired phone's number; empty for Kept
	Name    string `json:"name,omitempty"` // the paired phone's name
	State   State  `json:"state"`

	// Key is the secret id in the recipient's retrieve URL /m/<Key>; TID
	// the Transaction-Id of its notifications and M-Retrieve.conf.
	Key string `json:"key,omitempty"`
	TID string `json:"tid,omitempty"`

	Notifications int       `json:"notifications,omitempty"` // notifications handed to the modem
	LastNotified  time.Time `json:"lastNotified,omitzero"`
	Texted        bool      `json:"texted,omitempty"` // the fallback SMS went out
	NextTry       time.Time `json:"nextTry,omitzero"` // when the next notification is due
	Queued        string    `json:"queued,omitempty"` // the outbox item of the notification waiting to be sent
	Updated       time.Time `json:"updated,omitzero"` // last state change
	LastError     string    `json:"lastError,omitempty"`

	// The last fetch of the retrieve URL: when, from where, by what.
	Fetched   time.Time `json:"fetched,omitzero"`
	FetchedBy string    `json:"fetchedBy,omitempty"` // remote address
	UserAgent string    `json:"userAgent,omitempty"`

	Report       Report `json:"report,omitempty"`
	ReportQueued string `json:"reportQueued,omitempty"` // the outbox item of the report waiting to be sent
	// NoReport is set when the recipient's phone said X-Mms-Report-Allowed
	// no: the sender gets no delivery report about it.
	NoReport bool `json:"noReport,omitempty"`
}

// Record is the delivery state of one stored message: what
// <dir>/<id>.json holds.
type Record struct {
	ID       string    `json:"id"` // the store's message id, also the MMS Message-ID
	Received time.Time `json:"received"`
	Expires  time.Time `json:"expires"`
	// Unsynced says Received and Expires were stamped while the system
	// clock was not synchronised: they are counted again from the first
	// moment it is (Deliverer.settle).
	Unsynced bool   `json:"unsynced,omitempty"`
	From     string `json:"from,omitempty"`     // the sender's number, when known
	FromName string `json:"fromName,omitempty"` // the sender phone's name
	Subject  string `json:"subject,omitempty"`
	Size     int64  `json:"size"`
	// ReportTo is the sender's number when it asked for delivery reports
	// and is a paired phone; empty otherwise.
	ReportTo   string      `json:"reportTo,omitempty"`
	Recipients []Recipient `json:"recipients"`
}

// Done reports whether nothing is left to do for the record: every
// recipient final and every report sent or given up.
func (r *Record) Done() bool {
	for _, rc := range r.Recipients {
		if !rc.State.Final() || rc.Report == ReportDue {
			return false
		}
	}
	return true
}

// Schedule says when notifications are repeated. (A send error is the
// outbox's to retry, with its back-off.)
type Schedule struct {
	// Renotify[i] is the wait after notification i+1 before the next one;
	// the last value repeats until the message is retrieved, rejected or
	// expired.
	Renotify []time.Duration
}

// DefaultSchedule re-notifies after 10 minutes, 1 hour, 6 hours, then
// every day.
var DefaultSchedule = Schedule{
	Renotify: []time.Duration{10 * time.Minute, time.Hour, 6 * time.Hour, 24 * time.Hour},
}

// afterSend is the next try after notification number n (1-based).
func (s Schedule) afterSend(n int) time.Duration {
	if len(s.Renotify) == 0 {
		return 24 * time.Hour
	}
	return s.Renotify[min(max(n-1, 0), len(s.Renotify)-1)]
}

// sent records a notification handed to the modem at now.
func (rc *Recipient) sent(now time.Time, s Schedule) {
	rc.Notifications++
	rc.LastNotified = now
	rc.LastError = ""
	if rc.State == Pending {
		rc.set(Notified, now)
	}
	rc.NextTry = now.Add(s.afterSend(rc.Notifications))
}

// set changes the state and stamps it.
func (rc *Recipient) set(s State, now time.Time) {
	rc.State = s
	rc.Updated = now
	if s.Final() {
		rc.NextTry = time.Time{}
	}
}

// finish moves the recipient to a final state, making a delivery report
// due when the sender wants one. It returns false when the recipient was
// already final: the first outcome stands.
func (rc *Recipient) finish(s State, now time.Time, wantReport bool) bool {
	if rc.State.Final() {
		return false
	}
	rc.set(s, now)
	if wantReport && s != Failed && !rc.NoReport {
		rc.Report = ReportDue
	}
	return true
}

// status applies the X-Mms-Status of an M-NotifyResp.ind. It returns
// whether the recipient changed.
func (rc *Recipient) status(st byte, now time.Time, wantReport bool) bool {
	switch st {
	case mms.DeliveryRetrieved:
		return rc.finish(Retrieved, now, wantReport)
	case mms.DeliveryRejected:
		return rc.finish(Rejected, now, wantReport)
	case mms.DeliveryDeferred:
		if rc.State.Final() || rc.State == Deferred {
			return false
		}
		rc.set(Deferred, now)
		return true
	}
	// Unrecognised or anything else: the phone did not take the
	// notification in; the schedule sends it again.
	return false
}

// reportStatus is the X-Mms-Status of the M-Delivery.ind for a final state.
func reportStatus(s State) byte {
	switch s {
	case Retrieved:
		return mms.DeliveryRetrieved
	case Rejected:
		return mms.DeliveryRejected
	case Expired:
		return mms.DeliveryExpired
	}
	return mms.DeliveryIndeterminate
}
