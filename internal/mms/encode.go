package mms

import (
	"time"
)

// Encode returns the PDU of m. See AppendEncode.
func (m *Message) Encode() ([]byte, error) {
	return m.AppendEncode(make([]byte, 0, m.sizeHint()))
}

// AppendEncode appends the PDU of m to dst. It writes X-Mms-Message-Type,
// X-Mms-Transaction-Id (when set) and X-Mms-MMS-Version first, in that
// order, the other headers that are set, the headers in Other, and
// Content-Type last, followed by the body: Parts as a WSP multipart when
// the content type is a multipart one, Body otherwise. A zero field is not
// written. Strings must not contain NUL.
func (m *Message) AppendEncode(dst []byte) ([]byte, error) {
	start := len(dst)
	e := encoder{b: dst}
	m.appendHeaders(&e)
	if e.err == nil && m.ContentType.MediaType != "" {
		e.b = append(e.b, 0x80|fieldContentType)
		e.b, e.err = appendContentType(e.b, m.ContentType)
		if e.err == nil {
			m.appendBody(&e)
		}
	}
	if e.err == nil && len(e.b)-start > MaxPDU {
		e.err = errorf(ErrTooLarge, "PDU of %d octets exceeds MaxPDU", len(e.b)-start)
	}
	if e.err != nil {
		return dst, e.err
	}
	return e.b, nil
}

func (m *Message) sizeHint() int {
	n := 256 + len(m.Body)
	for i := range m.Parts {
		n += 64 + len(m.Parts[i].Data)
	}
	return n
}

func (m *Message) appendBody(e *encoder) {
	if !isMultipart(m.ContentType.MediaType) {
		e.b = append(e.b, m.Body...)
		return
	}
	if len(m.Parts) > 0 {
		e.b, e.err = appendMultipart(e.b, m.Parts, 1)
	}
}

// encoder appends headers and keeps the first error.
type encoder struct {
	b   []byte
	err error
}

func (e *encoder) field(f byte) bool {
	if e.err != nil {
		return false
	}
	e.b = append(e.b, 0x80|f)
	return true
}

func (e *encoder) short(f, v byte) {
	if v == 0 || !e.field(f) {
		return
	}
	if v < 0x80 {
		e.err = errorf(ErrInvalid, "%s value 0x%02X is not a short integer", fieldName(f), v)
		return
	}
	e.b = append(e.b, v)
}

func (e *encoder) text(f byte, s string) {
	if s == "" || !e.field(f) {
		return
	}
	e.b, e.err = appendTextString(e.b, s)
}

func (e *encoder) encoded(f byte, s EncodedString) {
	if s.Raw == nil && s.Charset == 0 || !e.field(f) {
		return
	}
	e.b, e.err = appendEncodedString(e.b, s)
}

func (e *encoder) date(f byte, t time.Time) {
	if t.IsZero() || !e.field(f) {
		return
	}
	e.b, e.err = appendDate(e.b, t)
}

func (e *encoder) timeValue(f byte, t TimeValue) {
	if t.IsZero() || !e.field(f) {
		return
	}
	e.b, e.err = appendWithLength(e.b, func(b []byte) ([]byte, error) {
		if !t.Absolute.IsZero() {
			return appendDate(append(b, 0x80), t.Absolute)
		}
		if t.Relative < 0 {
			return b, errorf(ErrInvalid, "negative relative time %v", t.Relative)
		}
		return appendLongInt(append(b, 0x81), uint64(t.Relative/time.Second)), nil
	})
}

func (m *Message) appendHeaders(e *encoder) {
	if m.Type < 0x80 {
		e.err = errorf(ErrInvalid, "message type 0x%02X", byte(m.Type))
		return
	}
	e.b = append(e.b, 0x80|fieldMessageType, byte(m.Type))
	e.text(fieldTransactionID, m.TransactionID)
	if m.Version != 0 {
		e.short(fieldMMSVersion, byte(m.Version)|0x80)
	}
	e.short(fieldResponseStatus, byte(m.ResponseStatus))
	e.encoded(fieldResponseText, m.ResponseText)
	e.text(fieldMessageID, m.MessageID)
	e.date(fieldDate, m.Date)
	m.appendFrom(e)
	e.addresses(fieldTo, m.To)
	e.addresses(fieldCc, m.Cc)
	e.addresses(fieldBcc, m.Bcc)
	e.encoded(fieldSubject, m.Subject)
	m.appendClass(e)
	e.short(fieldPriority, m.Priority)
	e.short(fieldDeliveryReport, m.DeliveryReport)
	e.short(fieldReadReport, m.ReadReport)
	e.short(fieldSenderVisibility, m.SenderVisibility)
	e.short(fieldReportAllowed, m.ReportAllowed)
	if m.MessageSize != 0 && e.field(fieldMessageSize) {
		e.b = appendLongInt(e.b, m.MessageSize)
	}
	e.timeValue(fieldExpiry, m.Expiry)
	e.timeValue(fieldDeliveryTime, m.DeliveryTime)
	e.text(fieldContentLocation, m.ContentLocation)
	e.short(fieldRetrieveStatus, m.RetrieveStatus)
	e.encoded(fieldRetrieveText, m.RetrieveText)
	e.short(fieldStatus, m.Status)
	e.short(fieldReadStatus, m.ReadStatus)
	for _, h := range m.Other {
		if e.err == nil {
			e.b, e.err = appendHeader(e.b, h, false)
		}
	}
}

func (m *Message) appendFrom(e *encoder) {
	if !m.From.Insert && m.From.Value.Raw == nil && m.From.Value.Charset == 0 || !e.field(fieldFrom) {
		return
	}
	e.b, e.err = appendWithLength(e.b, func(b []byte) ([]byte, error) {
		if m.From.Insert {
			return append(b, 0x81), nil
		}
		return appendEncodedString(append(b, 0x80), m.From.Value)
	})
}

func (e *encoder) addresses(f byte, as []Address) {
	for _, a := range as {
		if !e.field(f) {
			return
		}
		e.b, e.err = appendEncodedString(e.b, a.Value)
	}
}

func (m *Message) appendClass(e *encoder) {
	if m.MessageClass == "" || !e.field(fieldMessageClass) {
		return
	}
	for i, c := range messageClasses {
		if c == m.MessageClass {
			e.b = append(e.b, 0x80|byte(i))
			return
		}
	}
	e.b, e.err = appendToken(e.b, m.MessageClass)
}

// appendEncodedString appends an Encoded-string-value. Text without a
// charset is written as a plain Text-string unless it would be misread
// (empty, or starting with a control octet); then it gets the
// Value-length form with Any-charset, which decodes back to charset zero.
func appendEncodedString(dst []byte, s EncodedString) ([]byte, error) {
	if s.Charset == 0 && len(s.Raw) > 0 && s.Raw[0] >= 32 {
		return appendText(dst, s.Raw)
	}
	return appendWithLength(dst, func(b []byte) ([]byte, error) {
		if s.Charset == 0 {
			b = append(b, 0x80)
		} else {
			b = appendInteger(b, uint64(s.Charset))
		}
		if isWide(s.Charset) {
			if len(s.Raw) > MaxString {
				return b, errorf(ErrInvalid, "text of %d octets exceeds MaxString", len(s.Raw))
			}
			if len(s.Raw) > 0 && s.Raw[0] >= textQuote {
				b = append(b, textQuote)
			}
			return append(append(b, s.Raw...), 0), nil
		}
		return appendText(b, s.Raw)
	})
}

// appendHeader appends a header kept in Other or Part.Headers after checking
// that its raw value decodes as one value, so that what follows it is not
// misread.
func appendHeader(dst []byte, h Header, part bool) ([]byte, error) {
	if h.Name == "" {
		if h.Field >= 0x80 || !part && h.Field == fieldContentType {
			return dst, errorf(ErrInvalid, "header field 0x%02X", h.Field)
		}
		if _, rest, err := valueExtent(h.Raw); err != nil || len(rest) != 0 {
			return dst, errorf(ErrInvalid, "raw value of header 0x%02X", h.Field)
		}
		return append(append(dst, 0x80|h.Field), h.Raw...), nil
	}
	n := len(h.Raw)
	if n == 0 || h.Raw[n-1] != 0 || bytesIndexNul(string(h.Raw[:n-1])) || n > MaxString {
		return dst, errorf(ErrInvalid, "raw value of header %q", h.Name)
	}
	dst, err := appendToken(dst, h.Name)
	if err != nil || h.Name[0] == textQuote {
		return dst, errorf(ErrInvalid, "header name %q", h.Name)
	}
	return append(dst, h.Raw...), nil
}

// appendMultipart appends a WSP multipart body.
func appendMultipart(dst []byte, parts []Part, depth int) ([]byte, error) {
	if depth > MaxDepth {
		return dst, errorf(ErrTooDeep, "depth %d", depth)
	}
	if len(parts) > MaxParts {
		return dst, errorf(ErrTooManyParts, "%d parts", len(parts))
	}
	dst = appendUintvar(dst, uint32(len(parts)))
	var hdr []byte
	for i := range parts {
		var err error
		hdr, err = appendPartHeaders(hdr[:0], &parts[i])
		if err != nil {
			return dst, err
		}
		data, err := partPayload(&parts[i], depth)
		if err != nil {
			return dst, err
		}
		if len(data) > MaxPDU {
			return dst, errorf(ErrTooLarge, "part of %d octets", len(data))
		}
		dst = appendUintvar(dst, uint32(len(hdr)))
		dst = appendUintvar(dst, uint32(len(data)))
		dst = append(append(dst, hdr...), data...)
	}
	return dst, nil
}

func partPayload(p *Part, depth int) ([]byte, error) {
	data := p.Data
	if isMultipart(p.ContentType.MediaType) && len(p.Parts) > 0 {
		var err error
		if data, err = appendMultipart(nil, p.Parts, depth+1); err != nil {
			return nil, err
		}
	}
	return transferEncode(p.ContentTransferEncoding, data)
}

func appendPartHeaders(dst []byte, p *Part) ([]byte, error) {
	dst, err := appendContentType(dst, p.ContentType)
	if err != nil {
		return dst, err
	}
	if p.ContentLocation != "" {
		if dst, err = appendTextString(append(dst, 0x80|wspContentLocation), p.ContentLocation); err != nil {
			return dst, err
		}
	}
	if p.ContentID != "" {
		if dst, err = appendContentID(append(dst, 0x80|wspContentID), p.ContentID); err != nil {
			return dst, err
		}
	}
	if p.ContentDisposition != "" || len(p.DispositionParams) > 0 {
		if dst, err = appendDisposition(dst, p); err != nil {
			return dst, err
		}
	}
	if p.ContentTransferEncoding != "" {
		if dst, err = appendToken(dst, "Content-Transfer-Encoding"); err != nil {
			return dst, err
		}
		if dst, err = appendTextString(dst, p.ContentTransferEncoding); err != nil {
			return dst, err
		}
	}
	for _, h := range p.Headers {
		if dst, err = appendHeader(dst, h, true); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

func appendDisposition(dst []byte, p *Part) ([]byte, error) {
	dst = append(dst, 0x80|wspContentDisposition)
	return appendWithLength(dst, func(b []byte) ([]byte, error) {
		for i, d := range dispositions {
			if d == p.ContentDisposition {
				return appendParams(append(b, 0x80|byte(i)), p.DispositionParams)
			}
		}
		b, err := appendToken(b, p.ContentDisposition)
		if err != nil {
			return b, err
		}
		return appendParams(b, p.DispositionParams)
	})
}
