package mms

import "time"

// Values of the one-octet headers (OMA-MMS-ENC §7.3), with the high bit as
// they are stored in Message.
const (
	Yes byte = 0x80 // Delivery-Report, Read-Report, Report-Allowed
	No  byte = 0x81

	PriorityLow    byte = 0x80
	PriorityNormal byte = 0x81
	PriorityHigh   byte = 0x82

	VisibilityHide byte = 0x80 // Sender-Visibility
	VisibilityShow byte = 0x81

	// X-Mms-Status (§7.3.54), in M-NotifyResp.ind and M-Delivery.ind.
	DeliveryExpired       byte = 0x80
	DeliveryRetrieved     byte = 0x81
	DeliveryRejected      byte = 0x82
	DeliveryDeferred      byte = 0x83
	DeliveryUnrecognised  byte = 0x84
	DeliveryIndeterminate byte = 0x85
	DeliveryForwarded     byte = 0x86
	DeliveryUnreachable   byte = 0x87

	// X-Mms-Retrieve-Status (§7.3.50), in M-Retrieve.conf.
	RetrieveOk                       byte = 0x80
	RetrieveTransientFailure         byte = 0xC0
	RetrieveTransientMessageNotFound byte = 0xC1
	RetrieveTransientNetworkProblem  byte = 0xC2
	RetrievePermanentFailure         byte = 0xE0
	RetrievePermanentServiceDenied   byte = 0xE1
	RetrievePermanentMessageNotFound byte = 0xE2
	RetrievePermanentContentUnsupp   byte = 0xE3

	// X-Mms-Read-Status (§7.3.40), in M-Read-Rec.ind.
	ReadStatusRead               byte = 0x80
	ReadStatusDeletedWithoutRead byte = 0x81
)

// ReplyVersion is the MMS-Version to answer a request of version req with:
// 1.2 when the request is 1.2 or later, 1.0 otherwise (an MMS 1.0 phone
// may refuse a version it does not know).
func ReplyVersion(req Version) Version {
	if req >= Version12 {
		return Version12
	}
	return Version10
}

// NewSendConf returns the M-Send.conf answering an M-Send.req whose
// Transaction-Id is tid. With StatusOk, messageID must be the non-empty
// Message-ID the MMSC gave the message.
func NewSendConf(tid string, v Version, status ResponseStatus, messageID string) *Message {
	return &Message{
		Type:           TypeSendConf,
		TransactionID:  tid,
		Version:        v,
		ResponseStatus: status,
		MessageID:      messageID,
	}
}

// NewNotificationInd returns an M-Notification.ind telling a phone that a
// message of size octets waits at location until expiry (relative). Set
// From and Subject on the result when known.
func NewNotificationInd(tid, location string, size uint64, expiry time.Duration) *Message {
	return &Message{
		Type:            TypeNotificationInd,
		TransactionID:   tid,
		Version:         Version12,
		MessageClass:    "personal",
		MessageSize:     size,
		Expiry:          TimeValue{Relative: expiry},
		ContentLocation: location,
	}
}

// NewDeliveryInd returns an M-Delivery.ind reporting the delivery status
// (DeliveryRetrieved, …) of the message messageID to recipient to.
func NewDeliveryInd(messageID string, to Address, date time.Time, status byte) *Message {
	return &Message{
		Type:      TypeDeliveryInd,
		Version:   Version12,
		MessageID: messageID,
		To:        []Address{to},
		Date:      date,
		Status:    status,
	}
}

// NewRetrieveConf returns the M-Retrieve.conf that delivers the message of
// an M-Send.req: its From (replaced by from when the request asked the MMSC
// to insert it), To, Cc, Subject, class, priority, report requests, content
// type and parts. Bcc is not passed on. tid is the Transaction-Id of the
// phone's retrieval, messageID the MMSC's Message-ID, date when the MMSC
// received the message. The result shares req's slices (To, Cc, Parts and
// their data).
func NewRetrieveConf(req *Message, from Address, tid, messageID string, date time.Time) *Message {
	f := req.From
	if f.Insert || f.Value.Raw == nil {
		f = from
	}
	return &Message{
		Type:           TypeRetrieveConf,
		TransactionID:  tid,
		Version:        ReplyVersion(req.Version),
		MessageID:      messageID,
		Date:           date,
		From:           f,
		To:             req.To,
		Cc:             req.Cc,
		Subject:        req.Subject,
		MessageClass:   req.MessageClass,
		Priority:       req.Priority,
		DeliveryReport: req.DeliveryReport,
		ReadReport:     req.ReadReport,
		ContentType:    req.ContentType,
		Parts:          req.Parts,
		Body:           req.Body,
	}
}
