package main

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
)

// A pduTemplate makes M-Send.req PDUs that look like what a phone sends
// (OMA-MMS-ENC §6.1.1): a SMIL part, a JPEG photo and a short text, in an
// application/vnd.wap.multipart.related body. Every PDU of a template has
// the same size and the same bytes except its Transaction-Id, which is
// unique, so a stored copy can be traced back to the request that sent it.
//
// The bytes are built here by hand, from the specs, rather than with
// internal/mms: the load tool is an independent client of the MMSC.
type pduTemplate struct {
	tidPrefix string // every Transaction-Id starts with it
	tidDigits int    // the sequence number is zero-padded to this width
	tail      []byte // everything after the Transaction-Id's terminator
	size      int    // total length of one PDU
}

// Header field codes (OMA-MMS-ENC §7.4, Table 12) with the 0x80 flag set.
const (
	hdrContentType   = 0x84
	hdrDeliveryRep   = 0x86
	hdrFrom          = 0x89
	hdrMessageClass  = 0x8A
	hdrMessageID     = 0x8B
	hdrMessageType   = 0x8C
	hdrMMSVersion    = 0x8D
	hdrPriority      = 0x8F
	hdrReadReport    = 0x90
	hdrResponseStat  = 0x92
	hdrSubject       = 0x96
	hdrTo            = 0x97
	hdrTransactionID = 0x98
)

// sendReqPrefix is Message-Type m-send-req then the Transaction-Id field
// code: the three bytes every PDU of a template starts with.
var sendReqPrefix = []byte{hdrMessageType, 0x80, hdrTransactionID}

const minPDUSize = 2048

// newPDUTemplate builds a template whose PDUs are size bytes long.
// tidPrefix must be plain ASCII; seed makes the photo bytes reproducible.
func newPDUTemplate(size int, tidPrefix string, seed uint64) (*pduTemplate, error) {
	if size < minPDUSize {
		return nil, fmt.Errorf("pdu size %d below the minimum %d", size, minPDUSize)
	}
	t := &pduTemplate{tidPrefix: tidPrefix, tidDigits: 9}
	fixed := len(sendReqPrefix) + len(tidPrefix) + t.tidDigits + 1
	headers := sendReqHeaders()
	smil, text := smilPart(), textPart()
	// The photo takes what is left once everything else is counted,
	// including its own entry header, whose uintvar lengths depend on
	// its size: settle it in a couple of rounds.
	photoLen := size - fixed - len(headers) - 1 - len(smil) - len(text)
	for range 4 {
		photo := photoPart(max(photoLen, 0), seed)
		body := appendUintvar(nil, 3)
		body = append(append(append(body, smil...), photo...), text...)
		total := fixed + len(headers) + len(body)
		if total == size {
			t.tail = append(headers, body...)
			t.size = size
			return t, nil
		}
		photoLen -= total - size
	}
	return nil, fmt.Errorf("cannot build a pdu of exactly %d bytes", size)
}

// sendReqHeaders returns the headers after the Transaction-Id, as a
// phone in 2024 sends them, Content-Type last (§7.4).
func sendReqHeaders() []byte {
	b := []byte{hdrMMSVersion, 0x92}   // 1.2
	b = append(b, hdrFrom, 0x01, 0x81) // insert-address-token
	b = appendText(append(b, hdrTo), "+15551239876/TYPE=PLMN")
	subj := appendText([]byte{0xEA}, "Load test: photo from the park") // UTF-8
	b = append(appendValueLength(append(b, hdrSubject), len(subj)), subj...)
	b = append(b, hdrMessageClass, 0x80, hdrPriority, 0x81, hdrDeliveryRep, 0x81, hdrReadReport, 0x81)
	// multipart.related (0x33) with start=<smil> (0x8A) and type=application/smil (0x89).
	ct := []byte{0xB3}
	ct = appendText(append(ct, 0x8A), "<smil>")
	ct = appendText(append(ct, 0x89), "application/smil")
	return append(appendValueLength(append(b, hdrContentType), len(ct)), ct...)
}

const smilDoc = `<smil><head><layout><root-layout width="320" height="480"/>` +
	`<region id="Image" left="0" top="0" width="320" height="320" fit="meet"/>` +
	`<region id="Text" left="0" top="320" width="320" height="160" fit="scroll"/>` +
	`</layout></head><body><par dur="5000ms"><img src="photo.jpg" region="Image"/>` +
	`<text src="text.txt" region="Text"/></par></body></smil>`

func smilPart() []byte {
	ct := appendText(nil, "application/smil")
	ct = append(ct, 0x81, 0xEA) // charset=utf-8
	return multipartEntry(appendValueLength(nil, len(ct)), ct, "<smil>", "smil.smil", []byte(smilDoc))
}

func textPart() []byte {
	ct := []byte{0x83, 0x81, 0xEA} // text/plain; charset=utf-8
	data := []byte("Here is the photo from this afternoon at the park. See you on Sunday! \u263a")
	return multipartEntry(appendValueLength(nil, len(ct)), ct, "<text>", "text.txt", data)
}

// photoPart is an image/jpeg entry of n bytes of data that starts and ends
// like a JFIF file and holds random, incompressible bytes between.
func photoPart(n int, seed uint64) []byte {
	ct := appendText([]byte{0x9E, 0x85}, "photo.jpg") // image/jpeg; name=photo.jpg
	data := make([]byte, n)
	var seedBytes [32]byte
	for i := range 8 {
		seedBytes[i] = byte(seed >> (8 * i))
	}
	_, _ = rand.NewChaCha8(seedBytes).Read(data) // never fails
	jfif := []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00}
	copy(data, jfif)
	if n >= len(jfif)+2 {
		data[n-2], data[n-1] = 0xFF, 0xD9
	}
	return multipartEntry(appendValueLength(nil, len(ct)), ct, "<photo>", "photo.jpg", data)
}

// multipartEntry encodes one entry of a WSP multipart body
// (WAP-230-WSP §8.5.3): HeadersLen, DataLen, Content-Type, headers, data.
// lenPrefix is the content type's value-length, empty for the short form.
func multipartEntry(lenPrefix, ct []byte, contentID, location string, data []byte) []byte {
	h := append(append([]byte{}, lenPrefix...), ct...)
	h = appendText(append(h, 0xC0, '"'), contentID) // Content-ID (0x40): a Quoted-string
	h = appendText(append(h, 0x8E), location)       // Content-Location (0x0E)
	b := appendUintvar(nil, uint64(len(h)))
	b = appendUintvar(b, uint64(len(data)))
	return append(append(b, h...), data...)
}

// tid returns the Transaction-Id of PDU number seq.
func (t *pduTemplate) tid(seq uint64) string {
	return fmt.Sprintf("%s%0*d", t.tidPrefix, t.tidDigits, seq)
}

// head returns the bytes before tail for the given Transaction-Id.
func (t *pduTemplate) head(tid string) []byte {
	b := append(append([]byte{}, sendReqPrefix...), tid...)
	return append(b, 0)
}

// reader returns the PDU with the given Transaction-Id without copying tail.
func (t *pduTemplate) reader(tid string) io.Reader {
	return io.MultiReader(bytes.NewReader(t.head(tid)), bytes.NewReader(t.tail))
}

// bytes returns a copy of the whole PDU with the given Transaction-Id.
func (t *pduTemplate) bytes(tid string) []byte {
	return append(t.head(tid), t.tail...)
}

// sum returns the sha256 of the PDU with the given Transaction-Id.
func (t *pduTemplate) sum(tid string) [sha256.Size]byte {
	h := sha256.New()
	h.Write(t.head(tid))
	h.Write(t.tail)
	var s [sha256.Size]byte
	h.Sum(s[:0])
	return s
}

// tidOf returns the Transaction-Id of a PDU made by this template, read
// from its first bytes, and false when p does not start like one.
func (t *pduTemplate) tidOf(p []byte) (string, bool) {
	n := len(sendReqPrefix) + len(t.tidPrefix) + t.tidDigits
	if len(p) < n+1 || !bytes.HasPrefix(p, sendReqPrefix) || p[n] != 0 {
		return "", false
	}
	tid := string(p[len(sendReqPrefix):n])
	if tid[:len(t.tidPrefix)] != t.tidPrefix {
		return "", false
	}
	return tid, true
}

// appendText appends a Text-string (WAP-230-WSP §8.4.2.1): the text,
// quoted with 0x7F when it starts with a byte ≥ 0x80, and a NUL.
func appendText(b []byte, s string) []byte {
	if len(s) > 0 && s[0] >= 0x80 {
		b = append(b, 0x7F)
	}
	return append(append(b, s...), 0)
}

// appendValueLength appends a Value-length (WAP-230-WSP §8.4.2.2).
func appendValueLength(b []byte, n int) []byte {
	if n < 31 {
		return append(b, byte(n))
	}
	return appendUintvar(append(b, 31), uint64(n))
}

// appendUintvar appends a variable-length unsigned integer
// (WAP-230-WSP §8.1.2): 7 bits per octet, most significant first, the
// high bit set on every octet but the last.
func appendUintvar(b []byte, v uint64) []byte {
	var tmp [10]byte
	i := len(tmp) - 1
	tmp[i] = byte(v & 0x7F)
	for v >>= 7; v > 0; v >>= 7 {
		i--
		tmp[i] = byte(v&0x7F) | 0x80
	}
	return append(b, tmp[i:]...)
}

// sendConf is what the load tool reads from an M-Send.conf.
type sendConf struct {
	Type          byte
	TransactionID string
	Version       byte
	Status        byte
	MessageID     string
}

var errNotConf = errors.New("mmsload: not an M-Send.conf")

// parseSendConf reads the headers of an M-Send.conf. It skips headers it
// does not need by the generic rules of WAP-230-WSP §8.4.1.2, so that it
// does not share a single line with the codec it is checking.
func parseSendConf(p []byte) (sendConf, error) {
	var c sendConf
	for len(p) > 0 {
		field := p[0]
		if field < 0x80 {
			return c, fmt.Errorf("%w: application header at %x", errNotConf, p[0])
		}
		val, rest, err := splitValue(p[1:])
		if err != nil {
			return c, fmt.Errorf("%w: header %#x: %v", errNotConf, field, err)
		}
		switch field {
		case hdrMessageType:
			c.Type = val[0]
		case hdrTransactionID:
			c.TransactionID = textValue(val)
		case hdrMMSVersion:
			c.Version = val[0]
		case hdrResponseStat:
			c.Status = val[0]
		case hdrMessageID:
			c.MessageID = textValue(val)
		case hdrContentType:
			rest = nil // the body follows; an M-Send.conf has none
		}
		p = rest
	}
	if c.Type != 0x81 {
		return c, fmt.Errorf("%w: message type %#x", errNotConf, c.Type)
	}
	return c, nil
}

// splitValue splits off one header value: a short integer (one octet
// ≥ 0x80), a value with a length (first octet ≤ 31), or a NUL-terminated
// text.
func splitValue(p []byte) (val, rest []byte, err error) {
	switch {
	case len(p) == 0:
		return nil, nil, errors.New("no value")
	case p[0] >= 0x80:
		return p[:1], p[1:], nil
	case p[0] < 31:
		n := int(p[0])
		if len(p) < 1+n {
			return nil, nil, errors.New("truncated value")
		}
		return p[:1+n], p[1+n:], nil
	case p[0] == 31:
		n, k, err := readUintvar(p[1:])
		if err != nil || uint64(len(p)-1-k) < n {
			return nil, nil, errors.New("truncated value")
		}
		end := 1 + k + int(n)
		return p[:end], p[end:], nil
	}
	i := bytes.IndexByte(p, 0)
	if i < 0 {
		return nil, nil, errors.New("unterminated text")
	}
	return p[:i+1], p[i+1:], nil
}

// textValue returns a Text-string value without its quote and NUL.
func textValue(v []byte) string {
	v = bytes.TrimSuffix(v, []byte{0})
	if len(v) > 0 && v[0] == 0x7F {
		v = v[1:]
	}
	return string(v)
}

func readUintvar(p []byte) (v uint64, n int, err error) {
	for i := 0; i < len(p) && i < 5; i++ {
		v = v<<7 | uint64(p[i]&0x7F)
		if p[i]&0x80 == 0 {
			return v, i + 1, nil
		}
	}
	return 0, 0, errors.New("bad uintvar")
}
