package mms

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime/quotedprintable"
	"strings"
)

// WSP multipart (WAP-230-WSP §8.5):
//
//	Multipart = nEntries(uintvar) *Entry
//	Entry     = HeadersLen(uintvar) DataLen(uintvar) ContentType Headers Data
//
// HeadersLen counts ContentType and Headers together.

// minEntry is the fewest octets an entry takes: two one-octet uintvars and
// a one-octet content type.
const minEntry = 3

func (d *decoder) multipart(p []byte, depth int) ([]Part, error) {
	if depth > MaxDepth {
		return nil, d.fail(p, "multipart", errorf(ErrTooDeep, "depth %d exceeds MaxDepth", depth))
	}
	n, p, err := readUintvar(p)
	if err != nil {
		return nil, d.fail(p, "multipart entry count", err)
	}
	if uint64(n)+uint64(d.parts) > MaxParts {
		return nil, d.fail(p, "multipart entry count", errorf(ErrTooManyParts, "%d entries, MaxParts is %d", n, MaxParts))
	}
	if uint64(n)*minEntry > uint64(len(p)) {
		return nil, d.fail(p, "multipart entry count", errorf(ErrTruncated, "%d entries in %d octets", n, len(p)))
	}
	d.parts += int(n)
	var parts []Part
	if n > 0 {
		parts = make([]Part, 0, n)
	}
	for i := 0; i < int(n); i++ {
		var part Part
		if part, p, err = d.entry(p, depth); err != nil {
			return nil, err
		}
		parts = append(parts, part)
	}
	return parts, nil
}

// entry decodes one multipart entry and returns what follows it.
func (d *decoder) entry(p []byte, depth int) (Part, []byte, error) {
	start := p
	hl, p, err := readUintvar(p)
	if err != nil {
		return Part{}, p, d.fail(start, "part headers length", err)
	}
	dl, p, err := readUintvar(p)
	if err != nil {
		return Part{}, p, d.fail(start, "part data length", err)
	}
	if uint64(hl)+uint64(dl) > uint64(len(p)) {
		return Part{}, p, d.fail(start, "part", errorf(ErrTruncated, "headers %d and data %d octets, %d left", hl, dl, len(p)))
	}
	hdrs, data, rest := p[:hl], p[hl:hl+dl:hl+dl], p[hl+dl:]
	part, err := d.partHeaders(hdrs)
	if err != nil {
		return Part{}, p, err
	}
	if err := d.partData(&part, data, depth); err != nil {
		return Part{}, p, err
	}
	return part, rest, nil
}

func (d *decoder) partHeaders(p []byte) (Part, error) {
	var part Part
	ct, p, err := readContentType(p)
	if err != nil {
		return part, d.fail(p, "part Content-Type", err)
	}
	part.ContentType = ct
	for n := 0; len(p) > 0; n++ {
		if n >= MaxHeaders {
			return part, d.fail(p, "part headers", errorf(ErrTooManyHeaders, "more than %d", MaxHeaders))
		}
		if p, err = partHeader(&part, p); err != nil {
			return part, d.fail(p, "part header", err)
		}
	}
	return part, nil
}

// partHeader decodes one part header into part and returns what follows.
func partHeader(part *Part, p []byte) ([]byte, error) {
	if p[0] < 0x80 {
		h, rest, err := readAppHeader(p)
		if err != nil {
			return p, err
		}
		if strings.EqualFold(h.Name, "Content-Transfer-Encoding") && part.ContentTransferEncoding == "" {
			v, _, _ := readText(h.Raw, false)
			part.ContentTransferEncoding = string(v)
			return rest, nil
		}
		part.Headers = append(part.Headers, h)
		return rest, nil
	}
	field := p[0] & 0x7F
	val, rest, err := valueExtent(p[1:])
	if err != nil {
		return p, err
	}
	if !applyPartHeader(part, field, val) {
		part.Headers = append(part.Headers, Header{Field: field, Raw: val})
	}
	return rest, nil
}

func applyPartHeader(part *Part, field byte, v []byte) bool {
	switch field {
	case wspContentLocation:
		return textInto(&part.ContentLocation, v)
	case wspContentID:
		return contentIDInto(&part.ContentID, v)
	case wspContentDisposition, wspContentDisposition14:
		return dispositionInto(part, v)
	}
	return false
}

// contentIDInto decodes Content-ID: a Quoted-string (WSP 1.4), whose
// leading '"' is dropped and one trailing '"' too (some encoders close the
// quote), or a plain Text-string as the iPhone sends it.
func contentIDInto(dst *string, v []byte) bool {
	if !isText(v) {
		return false
	}
	if v[0] != quotedMark {
		return textInto(dst, v)
	}
	s, _, err := readToken(v[1:])
	if err != nil {
		return false
	}
	*dst = strings.TrimSuffix(s, `"`)
	return true
}

func appendContentID(dst []byte, id string) ([]byte, error) {
	if bytesIndexNul(id) || len(id) > MaxString {
		return dst, errorf(ErrInvalid, "Content-ID %q", id)
	}
	dst = append(append(dst, quotedMark), id...)
	if strings.HasSuffix(id, `"`) {
		dst = append(dst, quotedMark)
	}
	return append(dst, 0), nil
}

// dispositionInto decodes Content-disposition-value = Value-length
// Disposition *(Parameter); Disposition is Form-data (0x80), Attachment
// (0x81), Inline (0x82) or a Token-text. A lone Short-integer is accepted.
func dispositionInto(part *Part, v []byte) bool {
	body := v
	if v[0] <= lengthQuote {
		var err error
		if body, _, err = readValueLength(v); err != nil || len(body) == 0 {
			return false
		}
	}
	var disp string
	switch c := body[0]; {
	case c >= 0x80:
		if int(c-0x80) >= len(dispositions) {
			return false
		}
		disp, body = dispositions[c-0x80], body[1:]
	case c >= 32:
		var err error
		if disp, body, err = readToken(body); err != nil || disp == "" {
			return false
		}
	default:
		return false
	}
	ps, err := readParams(body)
	if err != nil {
		return false
	}
	part.ContentDisposition, part.DispositionParams = disp, ps
	return true
}

// partData sets the part's data: transfer-decoded when the part says so,
// the nested entries when it is itself a multipart.
func (d *decoder) partData(part *Part, data []byte, depth int) error {
	decoded := false
	switch cte := strings.ToLower(strings.TrimSpace(part.ContentTransferEncoding)); cte {
	case "", "7bit", "8bit", "binary":
	default:
		dec, ok := transferDecode(cte, data)
		if !ok {
			// Unknown or broken: keep the octets as sent and the header
			// with the other headers, so that nothing is lost.
			raw, _ := appendTextString(nil, part.ContentTransferEncoding)
			part.Headers = append(part.Headers, Header{Name: "Content-Transfer-Encoding", Raw: raw})
			part.ContentTransferEncoding = ""
			break
		}
		data, decoded = dec, true
	}
	if !isMultipart(part.ContentType.MediaType) || len(data) == 0 {
		part.Data = nilIfEmpty(data)
		return nil
	}
	if _, mime := part.ContentType.Param("boundary"); mime {
		// A textual MIME multipart (RFC 2046) carried as data.
		part.Data = data
		return nil
	}
	counted := d.parts
	parts, err := d.nested(data, depth+1, decoded)
	if errors.Is(err, ErrTruncated) || errors.Is(err, ErrMalformed) {
		// Not a WSP multipart after all: keep the octets, as for any
		// other part. Limits still refuse the message.
		d.parts = counted
		part.Data = data
		return nil
	}
	part.Parts = parts
	return err
}

// nested decodes a multipart inside a part. When the part was
// transfer-decoded its octets are a new buffer, and error offsets count
// from the start of that buffer.
func (d *decoder) nested(data []byte, depth int, decoded bool) ([]Part, error) {
	if !decoded {
		return d.multipart(data, depth)
	}
	pdu := d.pdu
	d.pdu = data
	parts, err := d.multipart(data, depth)
	d.pdu = pdu
	var de *DecodeError
	if errors.As(err, &de) {
		de.What += " (offset within the transfer-decoded part)"
	}
	return parts, err
}

func transferDecode(cte string, data []byte) ([]byte, bool) {
	switch cte {
	case "base64":
		clean := make([]byte, 0, len(data))
		for _, c := range data {
			switch c {
			case ' ', '\t', '\r', '\n':
			default:
				clean = append(clean, c)
			}
		}
		clean = bytes.TrimRight(clean, "=")
		if len(clean)%4 == 1 {
			// A lone final character carries no whole octet; decoders in
			// phones drop it (mms-engine's Base64 test case ends so).
			clean = clean[:len(clean)-1]
		}
		out := make([]byte, base64.RawStdEncoding.DecodedLen(len(clean)))
		n, err := base64.RawStdEncoding.Decode(out, clean)
		return out[:n], err == nil
	case "quoted-printable":
		out, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(data)))
		return out, err == nil
	}
	return nil, false
}

func transferEncode(cte string, data []byte) ([]byte, error) {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "", "7bit", "8bit", "binary":
		return data, nil
	case "base64":
		return base64.StdEncoding.AppendEncode(nil, data), nil
	case "quoted-printable":
		var buf bytes.Buffer
		w := quotedprintable.NewWriter(&buf)
		w.Binary = true
		_, err := w.Write(data)
		if err == nil {
			err = w.Close()
		}
		return buf.Bytes(), err
	}
	return nil, errorf(ErrInvalid, "unknown Content-Transfer-Encoding %q", cte)
}
