package deliver

import (
	"errors"
	"fmt"

	"github.com/homemmsc/homemmsc/internal/mms"
)

// Errors of Report.
var (
	ErrUnknownTransaction = errors.New("deliver: no notification with this transaction id")
	ErrNotRecipient       = errors.New("deliver: report from a phone that is not the recipient")
	ErrNotReport          = errors.New("deliver: not an M-NotifyResp.ind or M-Acknowledge.ind")
)

// Report applies what a phone posted about a notification: an
// M-NotifyResp.ind (OMA-MMS-ENC §6.2: X-Mms-Status retrieved, deferred,
// rejected or unrecognised) or an M-Acknowledge.ind (§6.4: it retrieved
// a message it had deferred). from is the number of the paired phone that
// posted (its token URL), "" when the endpoint does not say: then the
// transaction id, which only the recipient's phone was sent, is the
// proof. X-Mms-Report-Allowed no keeps the sender from getting a
// delivery report about this recipient.
func (d *Deliverer) Report(from string, m *mms.Message) error {
	status := m.Status
	switch m.Type {
	case mms.TypeNotifyRespInd:
	case mms.TypeAcknowledgeInd:
		status = mms.DeliveryRetrieved
	default:
		return ErrNotReport
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	s, ok := d.tids[m.TransactionID]
	if !ok {
		return ErrUnknownTransaction
	}
	if s.id == "" {
		return d.testReport(s.rcp, from, m.Type, status)
	}
	r := d.recs[s.id]
	rc := &r.Recipients[s.rcp]
	if from != "" && from != rc.Number {
		return fmt.Errorf("%w: %s", ErrNotRecipient, r.ID)
	}
	changed := false
	if rc.State == Pending && rc.Queued != "" {
		// The phone answers the push before the outbox has told us it
		// went out (Done comes after Send returns): the push reached
		// it. Record the notification now; Done then finds nothing
		// queued and records nothing twice.
		rc.Queued = ""
		d.notified(r, rc, d.cfg.Now(), nil)
		changed = true
	}
	before := rc.State
	if m.ReportAllowed == mms.No && !rc.NoReport {
		rc.NoReport = true // OMA-MMS-ENC §7.3.47: the recipient refuses delivery reports
		if rc.Report == ReportDue {
			rc.Report = NoReport
		}
		changed = true
	}
	if rc.status(status, d.cfg.Now(), r.ReportTo != "") {
		changed = true
		d.poke()
	}
	if changed {
		d.save(r) // once for both changes
	}
	d.stats.add(func(s *Stats) { s.PhoneReports[PhoneReport{reportPDU(m.Type), statusName(status)}]++ })
	d.stats.entered(before, rc.State)
	d.log.Info("deliver: phone reported", "id", r.ID, "to", rc.Name, "pdu", m.Type.String(),
		"status", statusName(status), "was", before, "now", rc.State)
	return nil
}

// reportPDU names a phone's report for a metric label.
func reportPDU(t mms.MessageType) string {
	if t == mms.TypeAcknowledgeInd {
		return "acknowledge"
	}
	return "notifyresp"
}

func statusName(s byte) string {
	switch s {
	case mms.DeliveryExpired:
		return "expired"
	case mms.DeliveryRetrieved:
		return "retrieved"
	case mms.DeliveryRejected:
		return "rejected"
	case mms.DeliveryDeferred:
		return "deferred"
	case mms.DeliveryUnrecognised:
		return "unrecognised"
	case 0:
		return "none"
	}
	return fmt.Sprintf("0x%02X", s)
}
