package mmsc

import (
	"net/http"
	"strconv"

	"github.com/homemmsc/homemmsc/internal/mms"
)

// ContentType is the media type of every MMS PDU over HTTP.
const ContentType = "application/vnd.wap.mms-message"

// fallbackTID is the Transaction-Id of an M-Send.conf answering a PDU so
// broken that no Transaction-Id could be read from it. The header is
// mandatory and an empty Text-string is refused by some decoders (AOSP's
// PduParser drops an M-Send.conf without one), so we send a fixed,
// recognisable value. It cannot match the phone's transaction, which is
// fine: the phone only gets this with an error status, and AOSP's
// SendTransaction treats a mismatched id as a failed send anyway.
const fallbackTID = "homemmsc-unreadable"

// Limits of the header peek used to answer broken PDUs.
const (
	peekHeaders = 3   // Message-Type, Transaction-Id, MMS-Version
	maxPeekTID  = 200 // longer "ids" are not echoed
	peekLen     = 512 // bytes read from a body that is over the size limit
)

// peeked is what could be read from the first headers of a PDU that the
// codec refused or that was never decoded.
type peeked struct {
	typ     mms.MessageType // zero if not seen
	tid     string          // "" if not seen
	version mms.Version     // zero if not seen
}

// peek reads the Message-Type, Transaction-Id and MMS-Version headers at
// the start of b, which every PDU puts first (OMA-MMS-ENC §6.1), without
// decoding the rest. It stops at the first other header or at any doubt.
func peek(b []byte) peeked {
	var p peeked
	for i := 0; i < peekHeaders && len(b) >= 2; i++ {
		switch b[0] {
		case 0x8C: // X-Mms-Message-Type: one octet
			p.typ, b = mms.MessageType(b[1]), b[2:]
		case 0x8D: // X-Mms-MMS-Version: short-integer
			if b[1]&0x80 == 0 {
				return p
			}
			p.version, b = mms.Version(b[1]&0x7F), b[2:]
		case 0x98: // X-Mms-Transaction-Id: text-string
			tid, rest, ok := peekText(b[1:])
			if !ok {
				return p
			}
			p.tid, b = tid, rest
		default:
			return p
		}
	}
	return p
}

// peekText reads a Text-string (optional 0x7F quote, octets ≥ 0x20, NUL).
func peekText(b []byte) (string, []byte, bool) {
	if len(b) > 0 && b[0] == 0x7F {
		b = b[1:]
	}
	for i := 0; i < len(b) && i <= maxPeekTID; i++ {
		switch {
		case b[i] == 0:
			return string(b[:i]), b[i+1:], i > 0
		case b[i] < 0x20:
			return "", nil, false
		}
	}
	return "", nil, false
}

// conf is one M-Send.conf to send.
type conf struct {
	tid       string
	version   mms.Version // of the reply
	status    mms.ResponseStatus
	messageID string // set only with StatusOk
	text      string // X-Mms-Response-Text, for errors
}

// encode builds the M-Send.conf PDU. If the phone's Transaction-Id cannot
// be encoded, the fallback id is used rather than sending nothing.
func (c conf) encode() ([]byte, error) {
	if c.tid == "" {
		c.tid = fallbackTID
	}
	m := mms.NewSendConf(c.tid, c.version, c.status, c.messageID)
	if c.text != "" {
		m.ResponseText = mms.EncodedString{Raw: []byte(c.text)}
	}
	b, err := m.Encode()
	if err != nil && c.tid != fallbackTID {
		m.TransactionID = fallbackTID
		b, err = m.Encode()
	}
	return b, err
}

// writeConf sends c as the HTTP 200 reply.
func writeConf(w http.ResponseWriter, pdu []byte) {
	h := w.Header()
	h.Set("Content-Type", ContentType)
	h.Set("Content-Length", strconv.Itoa(len(pdu)))
	w.WriteHeader(http.StatusOK)
	w.Write(pdu) //nolint:errcheck // the phone hung up; nothing to do
}

// writeText sends a short plain-text reply (errors outside MMS, GET).
func writeText(w http.ResponseWriter, code int, msg string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(msg)+1))
	w.WriteHeader(code)
	w.Write([]byte(msg + "\n")) //nolint:errcheck
}
