package sms

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"
)

// Limits.
const (
	MaxParts  = 16  // most parts one message is split into
	MaxDigits = 20  // longest destination number, in digits
	maxUD     = 140 // TP-UD capacity in octets (23.040 §9.2.3.16)
)

// Errors.
var (
	ErrBadNumber = errors.New("sms: invalid destination number")
	ErrTooLong   = errors.New("sms: message needs more than MaxParts parts")
	ErrEmpty     = errors.New("sms: message has neither text nor data")
	ErrBoth      = errors.New("sms: message has both text and data")
)

// WAP push ports (WAP-259-WDP, WAP-230-WSP): connectionless push to 2948
// from the connectionless session port 9200.
const (
	PortWAPPush    uint16 = 2948
	PortWAPSession uint16 = 9200
)

// Message is what to send. The zero value of each option means "absent".
type Message struct {
	To   string // "+15551234567" (international) or "0612345678" (national/unknown)
	Text string // sent as GSM 7-bit when possible, otherwise UCS-2
	Data []byte // binary payload (TP-DCS 0x04); Text must then be empty

	// DstPort and SrcPort add the 16-bit application port element to every
	// part when DstPort is not zero (binary messages only).
	DstPort, SrcPort uint16

	StatusReport bool          // TP-SRR: ask for an SMS-STATUS-REPORT
	Validity     time.Duration // relative TP-VP, rounded up to the next step; zero = none
	Ref          uint16        // concatenation reference, used when the message needs parts
	Ref16        bool          // use the 16-bit reference element instead of the 8-bit one
}

// PDU is one SMS-SUBMIT as AT+CMGS takes it: an SMSC field ("00") and the
// TPDU.
type PDU struct {
	Bytes   []byte // SMSC field followed by the TPDU
	TPDULen int    // octets after the SMSC field: the <length> of AT+CMGS
	Part    int    // 1-based part number; 1 for an unsplit message
	Parts   int    // number of parts
	Units   int    // septets (GSM 7-bit, escapes count two), UTF-16 units or octets of payload in this part
}

// Hex is the PDU in upper-case hex, as written after the AT+CMGS prompt.
func (p PDU) Hex() string { return strings.ToUpper(hex.EncodeToString(p.Bytes)) }

// TPDU returns the TPDU without the SMSC field.
func (p PDU) TPDU() []byte { return p.Bytes[len(p.Bytes)-p.TPDULen:] }

// Data coding schemes (23.038 §4).
const (
	dcsGSM7  = 0x00
	dcs8Bit  = 0x04
	dcsUCS2  = 0x08
	foSubmit = 0x01
	foVPRel  = 0x10
	foSRR    = 0x20
	foUDHI   = 0x40
)

// Encode returns the SMS-SUBMIT PDUs for m, one per part.
func Encode(m Message) ([]PDU, error) {
	da, err := appendAddress(nil, m.To)
	if err != nil {
		return nil, err
	}
	if m.Text == "" && len(m.Data) == 0 {
		return nil, ErrEmpty
	}
	if m.Text != "" && len(m.Data) > 0 {
		return nil, ErrBoth
	}
	segs, dcs, err := split(m)
	if err != nil {
		return nil, err
	}
	pdus := make([]PDU, len(segs))
	for i, s := range segs {
		pdus[i] = buildPDU(m, da, dcs, s, i+1, len(segs))
	}
	return pdus, nil
}

// segment is the payload of one part before its header is added: septets
// for GSM 7-bit, octets otherwise.
type segment struct {
	units []byte
	n     int // characters: septets, UTF-16 units or octets
}

// split chooses the coding and cuts the payload into parts.
func split(m Message) ([]segment, byte, error) {
	if len(m.Data) > 0 {
		segs, err := splitBytes(m.Data, capacity(m, dcs8Bit, false), capacity(m, dcs8Bit, true))
		return segs, dcs8Bit, err
	}
	if groups, ok := toGSM7(m.Text); ok {
		segs, err := splitGroups(groups, capacity(m, dcsGSM7, false), capacity(m, dcsGSM7, true))
		return segs, dcsGSM7, err
	}
	segs, err := splitGroups(ucs2Groups(m.Text), capacity(m, dcsUCS2, false), capacity(m, dcsUCS2, true))
	return segs, dcsUCS2, err
}

// ucs2Groups returns the UTF-16BE octets of text, one group per character
// (two octets, or four for a surrogate pair).
func ucs2Groups(text string) [][]byte {
	var groups [][]byte
	for _, r := range text {
		var g []byte
		for _, u := range utf16.Encode([]rune{r}) {
			g = append(g, byte(u>>8), byte(u))
		}
		groups = append(groups, g)
	}
	return groups
}

// capacity is the payload room of one part in octets (septets for GSM
// 7-bit) when the message is or is not concatenated.
func capacity(m Message, dcs byte, concat bool) int {
	udh := udhLen(m, concat)
	switch {
	case udh == 0 && dcs == dcsGSM7:
		return maxUD * 8 / 7
	case udh == 0:
		return maxUD
	case dcs == dcsGSM7:
		return (maxUD*8 - headerSeptets(udh)*7) / 7
	}
	return maxUD - udh - 1
}

// udhLen is the length of the user data header without its UDHL octet.
func udhLen(m Message, concat bool) int {
	n := 0
	if m.DstPort != 0 {
		n += 6
	}
	if concat {
		n += 5
		if m.Ref16 {
			n++
		}
	}
	return n
}

// headerSeptets is how many septets UDHL and the header occupy, fill bits
// included.
func headerSeptets(udh int) int { return ((udh+1)*8 + 6) / 7 }

// splitGroups cuts character groups into parts without splitting a group.
func splitGroups(groups [][]byte, single, multi int) ([]segment, error) {
	total := 0
	for _, g := range groups {
		total += len(g)
	}
	if total <= single {
		return []segment{groupSegment(groups)}, nil
	}
	var segs []segment
	for len(groups) > 0 {
		n, size := 0, 0
		for n < len(groups) && size+len(groups[n]) <= multi {
			size += len(groups[n])
			n++
		}
		segs = append(segs, groupSegment(groups[:n]))
		groups = groups[n:]
		if len(segs) > MaxParts {
			return nil, ErrTooLong
		}
	}
	return segs, nil
}

func groupSegment(groups [][]byte) segment {
	var s segment
	for _, g := range groups {
		s.units = append(s.units, g...)
	}
	s.n = len(s.units)
	return s
}

// splitBytes cuts binary data into parts.
func splitBytes(data []byte, single, multi int) ([]segment, error) {
	if len(data) <= single {
		return []segment{{units: data, n: len(data)}}, nil
	}
	if (len(data)+multi-1)/multi > MaxParts {
		return nil, ErrTooLong
	}
	var segs []segment
	for len(data) > 0 {
		n := min(multi, len(data))
		segs = append(segs, segment{units: data[:n], n: n})
		data = data[n:]
	}
	return segs, nil
}

// buildPDU assembles one part.
func buildPDU(m Message, da []byte, dcs byte, s segment, part, parts int) PDU {
	udh := appendUDH(nil, m, part, parts)
	fo := byte(foSubmit)
	if len(udh) > 0 {
		fo |= foUDHI
	}
	if m.StatusReport {
		fo |= foSRR
	}
	if m.Validity > 0 {
		fo |= foVPRel
	}
	b := []byte{0x00, fo, 0x00} // SMSC from +CSCA, FO, TP-MR (the modem sets it)
	b = append(b, da...)
	b = append(b, 0x00, dcs) // TP-PID, TP-DCS
	if m.Validity > 0 {
		b = append(b, RelativeValidity(m.Validity))
	}
	b = appendUserData(b, dcs, udh, s)
	units := s.n
	if dcs == dcsUCS2 {
		units /= 2
	}
	return PDU{Bytes: b, TPDULen: len(b) - 1, Part: part, Parts: parts, Units: units}
}

// appendUDH returns the user data header, UDHL first, or nil when the part
// needs none.
func appendUDH(dst []byte, m Message, part, parts int) []byte {
	var ies []byte
	if m.DstPort != 0 {
		ies = append(ies, 0x05, 0x04, byte(m.DstPort>>8), byte(m.DstPort), byte(m.SrcPort>>8), byte(m.SrcPort))
	}
	if parts > 1 && m.Ref16 {
		ies = append(ies, 0x08, 0x04, byte(m.Ref>>8), byte(m.Ref), byte(parts), byte(part))
	} else if parts > 1 {
		ies = append(ies, 0x00, 0x03, byte(m.Ref), byte(parts), byte(part))
	}
	if len(ies) == 0 {
		return dst
	}
	dst = append(dst, byte(len(ies)))
	return append(dst, ies...)
}

// appendUserData appends TP-UDL and TP-UD.
func appendUserData(dst []byte, dcs byte, udh []byte, s segment) []byte {
	if dcs != dcsGSM7 {
		dst = append(dst, byte(len(udh)+len(s.units)))
		dst = append(dst, udh...)
		return append(dst, s.units...)
	}
	skip := 0
	if len(udh) > 0 {
		skip = headerSeptets(len(udh) - 1)
	}
	ud := packSeptets(skip, s.units)
	copy(ud, udh)
	dst = append(dst, byte(skip+len(s.units)))
	return append(dst, ud...)
}

// appendAddress appends TP-DA: digit count, type of address and the
// swapped BCD digits.
func appendAddress(dst []byte, number string) ([]byte, error) {
	toa := byte(0x81)
	digits := strings.TrimPrefix(number, "+")
	if len(digits) != len(number) {
		toa = 0x91
	}
	if digits == "" || len(digits) > MaxDigits {
		return nil, fmt.Errorf("%w: %q", ErrBadNumber, number)
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return nil, fmt.Errorf("%w: %q", ErrBadNumber, number)
		}
	}
	dst = append(dst, byte(len(digits)), toa)
	for i := 0; i < len(digits); i += 2 {
		lo := digits[i] - '0'
		hi := byte(0x0F)
		if i+1 < len(digits) {
			hi = digits[i+1] - '0'
		}
		dst = append(dst, hi<<4|lo)
	}
	return dst, nil
}

// RelativeValidity encodes d as a relative TP-VP (23.040 §9.2.3.12.1),
// rounding up to the next representable period; longer than 63 weeks
// gives 63 weeks.
func RelativeValidity(d time.Duration) byte {
	const day = 24 * time.Hour
	ceil := func(d, unit time.Duration) int { return int((d + unit - 1) / unit) }
	switch {
	case d <= 12*time.Hour:
		return byte(max(ceil(d, 5*time.Minute)-1, 0))
	case d <= day:
		return byte(143 + ceil(d-12*time.Hour, 30*time.Minute))
	case d <= 30*day:
		return byte(166 + ceil(d, day))
	case d <= 63*7*day:
		return byte(max(192+ceil(d, 7*day), 197))
	}
	return 255
}
