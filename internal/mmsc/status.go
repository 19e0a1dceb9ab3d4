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
	outForbidden                  // unknown token, or the open endpoint off
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
	case outNotAllowed, outForbidden:
		return "service-denied"
	}
	return "unknown"
}

// status spells an outcome as an X-Mms-Response-Status, the same for
// every reply version: the code all three clients we read take for what
// happened (the table in doc.go). That is the MMS 1.0 code (0x81–0x88)
// for every refusal, although OMA-MMS-ENC 1.1 and later mark most of them
// obsolete in favour of the 0xE0–0xFF range: mmsd-tng 2.1.0 takes 0xE1,
// 0xE2, 0xE3, 0xE5 and 0xC0 (and 0x88) for a success and marks the
// message sent, while it, AOSP and Sailfish mms-engine all take the 1.0
// codes for the failures they are.
// outTransient has no code: it is answered HTTP 503 (see transient in
// handler.go), which AOSP retries by itself and the others report, where
// 0xC0 would be "sent" to mmsd-tng and 0x86 a failure AOSP never retries.
func status(o outcome) mms.ResponseStatus {
	switch o {
	case outStored:
		return mms.StatusOk
	case outCorrupt:
		return mms.StatusErrMessageFormatCorrupt
	case outUnsupported:
		return mms.StatusErrUnsupportedMessage
	case outTooLarge:
		return mms.StatusErrContentNotAccepted
	case outNoSender:
		return mms.StatusErrSendingAddressUnresolved
	case outNotAllowed, outForbidden:
		return mms.StatusErrServiceDenied
	}
	return mms.StatusErrUnspecified
}
