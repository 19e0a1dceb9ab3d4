package mmsc

import "github.com/homemmsc/homemmsc/internal/mms"

// outcome is what happened to one POST, before it is spelled as an
// X-Mms-Response-Status for the version the phone speaks.
type outcome int

const (
	outStored      outcome = iota // durable in the store
	outCorrupt                    // the PDU could not be decoded
	outUnsupported                // decoded, but not an M-Send.req (or MMS major version ≠ 1)
	outTooLarge                   // over the size limit or a codec limit
	outNoSender                   // no token, no From, no ?n=, anonymous off
	outTransient                  // store full or failing: try again later
	outNotAllowed                 // sender identified, but not on the allow-list
)

func (o outcome) String() string {
	switch o {
	case outStored:
		return "ok"
	case outCorrupt:
		return "message-format-corrupt"
	case outUnsupported:
		return "unsupported-message"
	case outTooLarge:
		return "content-not-accepted"
	case outNoSender:
		return "sending-address-unresolved"
	case outTransient:
		return "transient-failure"
	case outNotAllowed:
		return "service-denied"
	}
	return "unknown"
}

// replyVersion is the X-Mms-MMS-Version of our M-Send.conf: 1.2 when the
// phone sent 1.2 or later (we implement 1.2), else 1.0. A request whose
// version could not be read gets 1.0, which every client understands.
func replyVersion(req mms.Version) mms.Version {
	if req >= mms.Version12 {
		return mms.Version12
	}
	return mms.Version10
}

// status spells an outcome for a reply of version v.
//
// OMA-MMS-ENC 1.1 and later (§7.3.48) mark the 1.0 error codes 0x81–0x87
// obsolete and add transient (0xC0–0xDF) and permanent (0xE0–0xFF) ranges,
// so a 1.2 reply uses those. A 1.0 client only knows 0x80–0x88, so a 1.0
// reply keeps to them. The codes we pick are the ones clients act on:
// AOSP Messaging (MmsUtils.updateSentMmsMessageStatus) retries by itself
// only on 0xC0, 0xC3 and 0xC4 and treats every other non-Ok code as
// permanent, and AOSP PduHeaders maps unknown values into 0xC0/0xE0 as
// §7.3.48 asks, keeping 0x80–0x88, 0xC0–0xC4 and 0xE0–0xEB as sent.
//
//   - Error-unsupported-message (0x88) has no transient/permanent twin and
//     is not obsoleted: it is also what the spec's version management asks
//     for when the major version is not ours, so every version gets 0x88.
//   - A sender not on the allow-list is a refusal of service to that
//     sender: Error-service-denied (0x82) for 1.0, its permanent twin
//     0xE1 for 1.2, so the phone does not retry.
//   - A full or failing store is transient: 0xC0 for 1.2, so Android
//     retries; 1.0 has no transient range and its closest code is
//     Error-network-problem (0x86), the ancestor of 0xC3.
func status(o outcome, v mms.Version) mms.ResponseStatus {
	v1 := v < mms.Version11
	switch o {
	case outStored:
		return mms.StatusOk
	case outCorrupt:
		return pick(v1, mms.StatusErrMessageFormatCorrupt, mms.StatusPermanentMessageFormatCorrupt)
	case outUnsupported:
		return mms.StatusErrUnsupportedMessage
	case outTooLarge:
		return pick(v1, mms.StatusErrContentNotAccepted, mms.StatusPermanentContentNotAccepted)
	case outNoSender:
		return pick(v1, mms.StatusErrSendingAddressUnresolved, mms.StatusPermanentSendingAddrUnresolved)
	case outTransient:
		return pick(v1, mms.StatusErrNetworkProblem, mms.StatusTransientFailure)
	case outNotAllowed:
		return pick(v1, mms.StatusErrServiceDenied, mms.StatusPermanentServiceDenied)
	}
	return pick(v1, mms.StatusErrUnspecified, mms.StatusPermanentFailure)
}

func pick(v1 bool, old, cur mms.ResponseStatus) mms.ResponseStatus {
	if v1 {
		return old
	}
	return cur
}
