package mms

import "time"

// MessageType is the value of X-Mms-Message-Type (OMA-MMS-ENC §7.3.30).
type MessageType byte

// Message types. The values are the encoded octets.
const (
	TypeSendReq         MessageType = 0x80 // m-send-req
	TypeSendConf        MessageType = 0x81 // m-send-conf
	TypeNotificationInd MessageType = 0x82 // m-notification-ind
	TypeNotifyRespInd   MessageType = 0x83 // m-notifyresp-ind
	TypeRetrieveConf    MessageType = 0x84 // m-retrieve-conf
	TypeAcknowledgeInd  MessageType = 0x85 // m-acknowledge-ind
	TypeDeliveryInd     MessageType = 0x86 // m-delivery-ind
	TypeReadRecInd      MessageType = 0x87 // m-read-rec-ind
	TypeReadOrigInd     MessageType = 0x88 // m-read-orig-ind
)

// Version is X-Mms-MMS-Version: major version in the high nibble, minor in
// the low one, without the short-integer flag (1.2 is 0x12).
type Version byte

// Versions this package knows by name.
const (
	Version10 Version = 0x10
	Version11 Version = 0x11
	Version12 Version = 0x12
	Version13 Version = 0x13
)

// ResponseStatus is X-Mms-Response-Status (OMA-MMS-ENC §7.3.48).
// MMS 1.0 only has the 0x80–0x88 codes; 1.1 and later add the transient
// (0xC0…) and permanent (0xE0…) ranges.
type ResponseStatus byte

// Response statuses.
const (
	StatusOk                              ResponseStatus = 0x80
	StatusErrUnspecified                  ResponseStatus = 0x81 // 1.0
	StatusErrServiceDenied                ResponseStatus = 0x82 // 1.0
	StatusErrMessageFormatCorrupt         ResponseStatus = 0x83 // 1.0
	StatusErrSendingAddressUnresolved     ResponseStatus = 0x84 // 1.0
	StatusErrMessageNotFound              ResponseStatus = 0x85 // 1.0
	StatusErrNetworkProblem               ResponseStatus = 0x86 // 1.0
	StatusErrContentNotAccepted           ResponseStatus = 0x87 // 1.0
	StatusErrUnsupportedMessage           ResponseStatus = 0x88 // 1.0
	StatusTransientFailure                ResponseStatus = 0xC0
	StatusTransientSendingAddrUnresolved  ResponseStatus = 0xC1
	StatusTransientMessageNotFound        ResponseStatus = 0xC2
	StatusTransientNetworkProblem         ResponseStatus = 0xC3
	StatusTransientPartialSuccess         ResponseStatus = 0xC4
	StatusPermanentFailure                ResponseStatus = 0xE0
	StatusPermanentServiceDenied          ResponseStatus = 0xE1
	StatusPermanentMessageFormatCorrupt   ResponseStatus = 0xE2
	StatusPermanentSendingAddrUnresolved  ResponseStatus = 0xE3
	StatusPermanentMessageNotFound        ResponseStatus = 0xE4
	StatusPermanentContentNotAccepted     ResponseStatus = 0xE5
	StatusPermanentReplyChargingLimits    ResponseStatus = 0xE6
	StatusPermanentReplyChargingRequest   ResponseStatus = 0xE7
	StatusPermanentReplyChargingForwarded ResponseStatus = 0xE8
	StatusPermanentReplyChargingNotSupp   ResponseStatus = 0xE9
	StatusPermanentAddressHidingNotSupp   ResponseStatus = 0xEA
	StatusPermanentLackOfPrepaid          ResponseStatus = 0xEB
)

// Charset is an IANA MIBenum (106 is UTF-8, 3 is US-ASCII, 4 is ISO-8859-1).
// Zero means no charset was given.
type Charset uint32

// Well-known charsets.
const (
	CharsetUSASCII Charset = 3
	CharsetLatin1  Charset = 4
	CharsetUTF8    Charset = 106
	CharsetUCS2    Charset = 1000
	CharsetUTF16   Charset = 1015
)

// EncodedString is an Encoded-string-value (OMA-MMS-ENC §7.2.9): the octets
// as sent and the charset they were sent in. Text returns them as UTF-8.
type EncodedString struct {
	Charset Charset // zero for a plain Text-string
	Raw     []byte  // the octets without the quote and terminator
}

// Address is one From, To, Cc or Bcc value, for example
// "+15551234567/TYPE=PLMN", "10.0.0.1/TYPE=IPv4" or "a@example.org".
type Address struct {
	Value EncodedString
	// Insert is set on From when the phone sent the insert-address token
	// (0x81): it asks the MMSC to fill in the sender, so Value is empty.
	Insert bool
}

// TimeValue is Expiry or Delivery-Time (§7.3.20, §7.3.12): either an
// absolute date or an interval relative to when the MMSC received it.
type TimeValue struct {
	Absolute time.Time     // set when the value was absolute
	Relative time.Duration // set when the value was relative
}

// IsZero reports whether the header was absent.
func (t TimeValue) IsZero() bool { return t.Absolute.IsZero() && t.Relative == 0 }

// Param is one Content-Type parameter. Name is the lower-case textual name
// ("type", "start", "charset", "name", "filename", …) whatever code carried it.
type Param struct {
	Name  string
	Value string
}

// ContentType is a Content-type-value (WAP-230-WSP §8.4.2.24).
type ContentType struct {
	MediaType string // lower-case, e.g. "application/vnd.wap.multipart.related"
	Params    []Param
}

// Param returns the value of the named parameter and whether it was present.
func (c ContentType) Param(name string) (string, bool) {
	for _, p := range c.Params {
		if p.Name == name {
			return p.Value, true
		}
	}
	return "", false
}

// Header is a header the codec keeps without interpreting: an unknown
// well-known header, a known one whose value had an unexpected form, or an
// application header. Raw holds its encoded value as sent.
type Header struct {
	Field byte   // well-known field code without the 0x80 flag (when Name is empty)
	Name  string // application header name; empty for a well-known header
	// Raw is the encoded value: for a well-known header the octets the
	// generic length rule of WAP-230-WSP §8.4.1.2 delimits, for an
	// application header the Text-string including its NUL terminator.
	Raw []byte
}

// Part is one entry of a WSP multipart body (WAP-230-WSP §8.5).
type Part struct {
	ContentType             ContentType
	ContentID               string // as sent: with or without <>
	ContentLocation         string
	ContentDisposition      string // "attachment", "inline" or "form-data"; parameters in DispositionParams
	DispositionParams       []Param
	ContentTransferEncoding string   // as sent; Data is already decoded
	Headers                 []Header // other part headers, kept in order
	// Data is the part's content, decoded from base64 or quoted-printable
	// when the part said so. When no transfer encoding was applied it
	// aliases the input of Decode.
	Data []byte
	// Parts holds the entries of a part that is itself a multipart; Data is
	// then nil, and Encode writes Parts.
	Parts []Part
}

// Message is a decoded MMS PDU. A field whose header was absent is zero.
type Message struct {
	Type          MessageType
	TransactionID string
	Version       Version
	MessageID     string
	Date          time.Time

	From             Address
	To, Cc, Bcc      []Address
	Subject          EncodedString
	MessageClass     string // "personal", "advertisement", "informational", "auto" or a token
	Expiry           TimeValue
	DeliveryTime     TimeValue
	Priority         byte // 0x80 low, 0x81 normal, 0x82 high
	DeliveryReport   byte // 0x80 yes, 0x81 no
	ReadReport       byte // 0x80 yes, 0x81 no
	SenderVisibility byte // 0x80 hide, 0x81 show
	ReportAllowed    byte // 0x80 yes, 0x81 no

	ResponseStatus ResponseStatus
	ResponseText   EncodedString
	RetrieveStatus byte
	RetrieveText   EncodedString
	Status         byte // X-Mms-Status (M-NotifyResp.ind, M-Delivery.ind)
	ReadStatus     byte // X-Mms-Read-Status (M-Read-Rec.ind)

	ContentLocation string
	MessageSize     uint64

	// Other holds every header the codec did not map to a field above,
	// in the order received; Encode writes them back before Content-Type.
	Other []Header

	ContentType ContentType
	Parts       []Part
	// Body is the raw body after the headers when ContentType is not a
	// multipart type (Parts is then empty).
	Body []byte
}
