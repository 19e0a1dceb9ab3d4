package sms

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
)

// ErrMalformed reports a PDU that cannot be decoded.
var ErrMalformed = errors.New("sms: malformed PDU")

// Submit is a decoded SMS-SUBMIT, as a test or a fake modem sees it.
type Submit struct {
	SMSC             string // empty when the field is "00"
	To               string // "+…" for international numbers
	StatusReport     bool
	Validity         int // TP-VP octet, -1 when absent
	DCS              byte
	Text             string // for GSM 7-bit and UCS-2
	Data             []byte // for 8-bit data
	Ref, Part, Parts int    // concatenation; Parts is 0 when absent
	Ref16            bool
	DstPort, SrcPort int // -1 when absent
	TPDULen          int
}

// DecodeSubmit decodes an SMS-SUBMIT that starts with its SMSC field. It
// handles what [Encode] produces: relative or absent TP-VP.
func DecodeSubmit(b []byte) (*Submit, error) {
	d := decoder{b: b}
	s := &Submit{Validity: -1, DstPort: -1, SrcPort: -1}
	smscLen := int(d.byte())
	smsc := d.take(smscLen)
	if smscLen > 0 && len(smsc) > 0 {
		s.SMSC = decodeBCD(smsc[0], smsc[1:], 2*(len(smsc)-1))
	}
	s.TPDULen = len(b) - d.off
	fo := d.byte()
	if fo&0x03 != foSubmit {
		return nil, fmt.Errorf("%w: not an SMS-SUBMIT (first octet %#02x)", ErrMalformed, fo)
	}
	s.StatusReport = fo&foSRR != 0
	d.byte() // TP-MR
	digits := int(d.byte())
	toa := d.byte()
	s.To = decodeBCD(toa, d.take((digits+1)/2), digits)
	d.byte() // TP-PID
	s.DCS = d.byte()
	switch fo & 0x18 {
	case foVPRel:
		s.Validity = int(d.byte())
	case 0x08, 0x18:
		d.take(7)
	}
	udl := d.byte()
	if d.err != nil {
		return nil, d.err
	}
	return s, decodeUserData(s, udl, d.rest(), fo&foUDHI != 0)
}

func decodeUserData(s *Submit, udl byte, ud []byte, udhi bool) error {
	hdr := 0
	if udhi {
		if len(ud) == 0 || int(ud[0])+1 > len(ud) {
			return fmt.Errorf("%w: user data header", ErrMalformed)
		}
		hdr = int(ud[0]) + 1
		if err := decodeUDH(s, ud[1:hdr]); err != nil {
			return err
		}
	}
	switch {
	case s.DCS&0xEC == dcsGSM7 || s.DCS&0xF4 == 0xF0: // general or 1111 group, 7-bit
		skip := 0
		if hdr > 0 {
			skip = headerSeptets(hdr - 1)
		}
		if int(udl) < skip || (int(udl)*7+7)/8 > len(ud) {
			return fmt.Errorf("%w: TP-UDL %d for %d octets", ErrMalformed, udl, len(ud))
		}
		s.Text = fromGSM7(unpackSeptets(ud, skip, int(udl)-skip))
	case int(udl) != len(ud) || hdr > len(ud):
		return fmt.Errorf("%w: TP-UDL %d for %d octets", ErrMalformed, udl, len(ud))
	case s.DCS&0xEC == dcsUCS2:
		s.Text = decodeUCS2(ud[hdr:])
	default:
		s.Data = ud[hdr:]
	}
	return nil
}

func decodeUDH(s *Submit, h []byte) error {
	for len(h) > 0 {
		if len(h) < 2 || int(h[1])+2 > len(h) {
			return fmt.Errorf("%w: user data header element", ErrMalformed)
		}
		iei, v := h[0], h[2:2+int(h[1])]
		switch {
		case iei == 0x00 && len(v) == 3:
			s.Ref, s.Parts, s.Part = int(v[0]), int(v[1]), int(v[2])
		case iei == 0x08 && len(v) == 4:
			s.Ref, s.Parts, s.Part, s.Ref16 = int(v[0])<<8|int(v[1]), int(v[2]), int(v[3]), true
		case iei == 0x05 && len(v) == 4:
			s.DstPort, s.SrcPort = int(v[0])<<8|int(v[1]), int(v[2])<<8|int(v[3])
		case iei == 0x04 && len(v) == 2:
			s.DstPort, s.SrcPort = int(v[0]), int(v[1])
		}
		h = h[2+len(v):]
	}
	return nil
}

func decodeUCS2(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	return string(utf16.Decode(u))
}

func decodeBCD(toa byte, b []byte, digits int) string {
	var sb strings.Builder
	if toa&0x70 == 0x10 {
		sb.WriteByte('+')
	}
	const bcd = "0123456789*#abc"
	for i := 0; i < digits && i/2 < len(b); i++ {
		n := b[i/2] >> (4 * (i % 2)) & 0x0F
		if n == 0x0F {
			break
		}
		sb.WriteByte(bcd[n])
	}
	return sb.String()
}

// decoder reads octets and remembers the first error.
type decoder struct {
	b   []byte
	off int
	err error
}

func (d *decoder) byte() byte {
	if d.off >= len(d.b) {
		d.err = fmt.Errorf("%w: truncated at octet %d", ErrMalformed, d.off)
		return 0
	}
	d.off++
	return d.b[d.off-1]
}

func (d *decoder) take(n int) []byte {
	if d.off+n > len(d.b) {
		d.err = fmt.Errorf("%w: truncated at octet %d", ErrMalformed, d.off)
		d.off = len(d.b)
		return nil
	}
	d.off += n
	return d.b[d.off-n : d.off]
}

func (d *decoder) rest() []byte { r := d.b[d.off:]; d.off = len(d.b); return r }
