package mms

import (
	"bytes"
	"time"
)

// Decode decodes an MMS PDU. Strings, part data and the body alias b
// (except parts that were transfer-encoded); the caller must not modify b
// while it uses the Message.
func Decode(b []byte) (*Message, error) {
	if len(b) > MaxPDU {
		return nil, &DecodeError{What: "PDU", Err: errorf(ErrTooLarge, "%d octets exceed MaxPDU", len(b))}
	}
	d := decoder{pdu: b}
	m := new(Message)
	if err := d.message(m); err != nil {
		return nil, err
	}
	return m, nil
}

type decoder struct {
	pdu   []byte // the whole input, for offsets
	parts int    // entries decoded so far, across nesting levels
}

func (d *decoder) fail(p []byte, what string, err error) error {
	return &DecodeError{Offset: len(d.pdu) - len(p), What: what, Err: err}
}

// message decodes the headers up to Content-Type, then the body.
func (d *decoder) message(m *Message) error {
	p := d.pdu
	if len(p) < 2 || p[0] != 0x80|fieldMessageType || p[1] < 0x80 {
		return d.fail(p, "X-Mms-Message-Type", errorf(ErrNotMMS, "first octets % X", p[:min(len(p), 2)]))
	}
	for n := 0; len(p) > 0; n++ {
		if n >= MaxHeaders {
			return d.fail(p, "headers", errorf(ErrTooManyHeaders, "more than %d", MaxHeaders))
		}
		if p[0] == 0x80|fieldContentType {
			return d.body(m, p[1:])
		}
		rest, err := d.header(m, p)
		if err != nil {
			return err
		}
		p = rest
	}
	return nil
}

// header decodes one header other than Content-Type.
func (d *decoder) header(m *Message, p []byte) ([]byte, error) {
	c := p[0]
	if c < 0x80 {
		h, rest, err := readAppHeader(p)
		if err != nil {
			return p, d.fail(p, "application header", err)
		}
		m.Other = append(m.Other, h)
		return rest, nil
	}
	field := c & 0x7F
	val, rest, err := valueExtent(p[1:])
	if err != nil {
		return p, d.fail(p, "header "+fieldName(field), err)
	}
	if !applyHeader(m, field, val) {
		m.Other = append(m.Other, Header{Field: field, Raw: val})
	}
	return rest, nil
}

// readAppHeader reads an Application-header: Token-text name and a
// Text-string value. Raw keeps the value with its terminator.
func readAppHeader(p []byte) (Header, []byte, error) {
	if p[0] < 32 || p[0] == textQuote {
		return Header{}, p, errorf(ErrMalformed, "header starts with 0x%02X (code page shifts are not supported)", p[0])
	}
	name, rest, err := readToken(p)
	if err != nil {
		return Header{}, p, err
	}
	i := bytes.IndexByte(rest, 0)
	if i < 0 {
		return Header{}, p, errorf(ErrTruncated, "value of %q", name)
	}
	if i > MaxString {
		return Header{}, p, errorf(ErrTooLarge, "value of %q is %d octets", name, i)
	}
	return Header{Name: name, Raw: rest[: i+1 : i+1]}, rest[i+1:], nil
}

// applyHeader stores a header's value in its Message field. It reports
// false when the field is unknown or its value is not of the expected
// form; the caller then keeps the header in Other.
func applyHeader(m *Message, field byte, v []byte) bool {
	switch field {
	case fieldMessageType:
		return shortInto((*byte)(&m.Type), v)
	case fieldMMSVersion:
		if len(v) != 1 || v[0] < 0x80 {
			return false
		}
		m.Version = Version(v[0] & 0x7F)
		return true
	case fieldTransactionID:
		return textInto(&m.TransactionID, v)
	case fieldMessageID:
		return textInto(&m.MessageID, v)
	case fieldContentLocation:
		return textInto(&m.ContentLocation, v)
	case fieldDate:
		return dateInto(&m.Date, v)
	case fieldFrom:
		return fromInto(&m.From, v)
	case fieldTo, fieldCc, fieldBcc:
		return addressInto(m, field, v)
	case fieldSubject:
		return encodedInto(&m.Subject, v)
	case fieldResponseText:
		return encodedInto(&m.ResponseText, v)
	case fieldRetrieveText:
		return encodedInto(&m.RetrieveText, v)
	case fieldMessageClass:
		return classInto(&m.MessageClass, v)
	case fieldExpiry:
		return timeInto(&m.Expiry, v)
	case fieldDeliveryTime:
		return timeInto(&m.DeliveryTime, v)
	case fieldMessageSize:
		return sizeInto(&m.MessageSize, v)
	}
	if b := shortField(m, field); b != nil {
		return shortInto(b, v)
	}
	return false
}

// shortField returns the Message field of a header whose value is one
// Short-integer octet, stored with its high bit.
func shortField(m *Message, field byte) *byte {
	switch field {
	case fieldPriority:
		return &m.Priority
	case fieldDeliveryReport:
		return &m.DeliveryReport
	case fieldReadReport:
		return &m.ReadReport
	case fieldSenderVisibility:
		return &m.SenderVisibility
	case fieldReportAllowed:
		return &m.ReportAllowed
	case fieldResponseStatus:
		return (*byte)(&m.ResponseStatus)
	case fieldRetrieveStatus:
		return &m.RetrieveStatus
	case fieldStatus:
		return &m.Status
	case fieldReadStatus:
		return &m.ReadStatus
	}
	return nil
}

func shortInto(dst *byte, v []byte) bool {
	if len(v) != 1 || v[0] < 0x80 {
		return false
	}
	*dst = v[0]
	return true
}

func isText(v []byte) bool { return len(v) > 0 && v[0] >= 32 && v[0] < 0x80 }

func textInto(dst *string, v []byte) bool {
	if !isText(v) {
		return false
	}
	s, _, err := readText(v, false)
	*dst = string(s)
	return err == nil
}

func dateInto(dst *time.Time, v []byte) bool {
	t, _, err := readDate(v)
	if err != nil {
		return false
	}
	*dst = t
	return true
}

func sizeInto(dst *uint64, v []byte) bool {
	n, _, err := readInteger(v)
	if err != nil {
		return false
	}
	*dst = n
	return true
}

// fromInto decodes From-value = Value-length (Address-present-token
// Encoded-string-value | Insert-address-token).
func fromInto(a *Address, v []byte) bool {
	body, _, err := readValueLength(v)
	if err != nil || len(body) == 0 {
		return false
	}
	switch body[0] {
	case 0x81:
		*a = Address{Insert: true}
		return true
	case 0x80:
		var s EncodedString
		if len(body) > 1 && !encodedInto(&s, body[1:]) {
			return false
		}
		*a = Address{Value: s}
		return true
	}
	return false
}

func addressInto(m *Message, field byte, v []byte) bool {
	var s EncodedString
	if !encodedInto(&s, v) {
		return false
	}
	a := Address{Value: s}
	switch field {
	case fieldTo:
		m.To = append(m.To, a)
	case fieldCc:
		m.Cc = append(m.Cc, a)
	default:
		m.Bcc = append(m.Bcc, a)
	}
	return true
}

// encodedInto decodes Encoded-string-value (OMA-MMS-ENC §7.2.9):
// Text-string | Value-length Char-set Text-string.
func encodedInto(dst *EncodedString, v []byte) bool {
	if len(v) == 0 {
		return false
	}
	if v[0] > lengthQuote {
		if !isText(v) {
			return false
		}
		s, _, err := readText(v, false)
		*dst = EncodedString{Raw: s}
		return err == nil
	}
	body, _, err := readValueLength(v)
	if err != nil {
		return false
	}
	cs, body, err := readCharsetValue(body)
	if err != nil {
		return false
	}
	if isWide(cs) {
		// UTF-16 text holds NUL octets: the Value-length delimits it,
		// and the last octet is the terminator.
		if len(body) > 0 && body[0] == textQuote {
			body = body[1:]
		}
		if n := len(body); n > 0 && body[n-1] == 0 {
			body = body[:n-1]
		}
		if len(body) > MaxString {
			return false
		}
		*dst = EncodedString{Charset: cs, Raw: nilIfEmpty(body)}
		return true
	}
	s, _, err := readText(body, true)
	if err != nil {
		return false
	}
	*dst = EncodedString{Charset: cs, Raw: s}
	return true
}

// isWide reports whether text in the charset may contain NUL octets:
// UCS-2 and the UTF-16 forms.
func isWide(c Charset) bool {
	return c == CharsetUCS2 || c == CharsetUTF16 || c == 1013 || c == 1014
}

// readCharsetValue reads Char-set = Well-known-charset | Any-charset
// (0x80, kept as zero).
func readCharsetValue(p []byte) (Charset, []byte, error) {
	v, rest, err := readInteger(p)
	if err != nil {
		return 0, p, err
	}
	if v > 0xFFFFFFFF {
		return 0, p, errorf(ErrMalformed, "charset %d", v)
	}
	return Charset(v), rest, nil
}

func classInto(dst *string, v []byte) bool {
	if len(v) == 1 && v[0] >= 0x80 {
		if i := int(v[0] - 0x80); i < len(messageClasses) {
			*dst = messageClasses[i]
			return true
		}
		return false
	}
	if !isText(v) {
		return false
	}
	s, _, err := readToken(v)
	*dst = s
	return err == nil
}

// timeInto decodes Expiry and Delivery-Time: Value-length
// (Absolute-token Date-value | Relative-token Delta-seconds-value).
func timeInto(dst *TimeValue, v []byte) bool {
	body, _, err := readValueLength(v)
	if err != nil || len(body) == 0 {
		return false
	}
	switch body[0] {
	case 0x80:
		t, _, err := readDate(body[1:])
		if err != nil {
			return false
		}
		*dst = TimeValue{Absolute: t}
		return true
	case 0x81:
		n, _, err := readInteger(body[1:])
		if err != nil || n > uint64(maxDateSeconds) {
			return false
		}
		*dst = TimeValue{Relative: time.Duration(n) * time.Second}
		return true
	}
	return false
}

// body decodes Content-Type and what follows it.
func (d *decoder) body(m *Message, p []byte) error {
	ct, rest, err := readContentType(p)
	if err != nil {
		return d.fail(p, "header Content-Type", err)
	}
	m.ContentType = ct
	if !isMultipart(ct.MediaType) {
		m.Body = nilIfEmpty(rest[:len(rest):len(rest)])
		return nil
	}
	if len(rest) == 0 {
		return nil
	}
	m.Parts, err = d.multipart(rest, 1)
	return err
}

func fieldName(f byte) string {
	names := [...]string{
		fieldBcc: "Bcc", fieldCc: "Cc", fieldContentLocation: "X-Mms-Content-Location",
		fieldContentType: "Content-Type", fieldDate: "Date", fieldDeliveryReport: "X-Mms-Delivery-Report",
		fieldDeliveryTime: "X-Mms-Delivery-Time", fieldExpiry: "X-Mms-Expiry", fieldFrom: "From",
		fieldMessageClass: "X-Mms-Message-Class", fieldMessageID: "Message-ID",
		fieldMessageType: "X-Mms-Message-Type", fieldMMSVersion: "X-Mms-MMS-Version",
		fieldMessageSize: "X-Mms-Message-Size", fieldPriority: "X-Mms-Priority",
		fieldReadReport: "X-Mms-Read-Report", fieldReportAllowed: "X-Mms-Report-Allowed",
		fieldResponseStatus: "X-Mms-Response-Status", fieldResponseText: "X-Mms-Response-Text",
		fieldSenderVisibility: "X-Mms-Sender-Visibility", fieldStatus: "X-Mms-Status",
		fieldSubject: "Subject", fieldTo: "To", fieldTransactionID: "X-Mms-Transaction-Id",
		fieldRetrieveStatus: "X-Mms-Retrieve-Status", fieldRetrieveText: "X-Mms-Retrieve-Text",
		fieldReadStatus: "X-Mms-Read-Status",
	}
	if int(f) < len(names) && names[f] != "" {
		return names[f]
	}
	return hexByte(f)
}
