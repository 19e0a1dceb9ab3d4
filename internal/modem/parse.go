package modem

import (
	"encoding/hex"
	"strconv"
	"strings"
	"unicode/utf16"
)

// RegStat is a network registration state of +CREG, +CGREG and +CEREG
// (3GPP TS 27.007 §7.2, §10.1.20, §10.1.22).
type RegStat int

// Registration states. 6 and 7 are "registered for SMS only"; 9 and 10
// are the CSFB-not-preferred variants of 1 and 5.
const (
	RegNotRegistered RegStat = 0
	RegHome          RegStat = 1
	RegSearching     RegStat = 2
	RegDenied        RegStat = 3
	RegUnknown       RegStat = 4
	RegRoaming       RegStat = 5
	RegHomeSMSOnly   RegStat = 6
	RegRoamSMSOnly   RegStat = 7
	RegEmergency     RegStat = 8
	RegHomeNoCSFB    RegStat = 9
	RegRoamNoCSFB    RegStat = 10
	RegNone          RegStat = -1 // not reported
)

// CanSMS tells whether the state allows sending SMS.
func (s RegStat) CanSMS() bool {
	switch s {
	case RegHome, RegRoaming, RegHomeSMSOnly, RegRoamSMSOnly, RegHomeNoCSFB, RegRoamNoCSFB:
		return true
	}
	return false
}

func (s RegStat) String() string {
	switch s {
	case RegNotRegistered:
		return "not registered"
	case RegHome, RegHomeSMSOnly, RegHomeNoCSFB:
		return "home network"
	case RegSearching:
		return "searching"
	case RegDenied:
		return "registration denied"
	case RegRoaming, RegRoamSMSOnly, RegRoamNoCSFB:
		return "roaming"
	case RegEmergency:
		return "emergency calls only"
	case RegNone:
		return "not reported"
	}
	return "unknown"
}

// fields splits the value of an information line ("+CREG: 2,1,…") into
// comma-separated fields, quotes removed. Mismatched quotes are tolerated.
func fields(line string) []string {
	_, v, ok := strings.Cut(line, ":")
	if !ok {
		return nil
	}
	parts := strings.Split(strings.TrimSpace(v), ",")
	for i, p := range parts {
		parts[i] = strings.Trim(strings.TrimSpace(p), `"`)
	}
	return parts
}

// parseRegQuery reads the reply to AT+CREG? (and +CGREG?, +CEREG?):
// "+CREG: <n>,<stat>[,…]". A missing reply is RegNone.
func parseRegQuery(info []string, prefix string) RegStat {
	for _, l := range info {
		if !strings.HasPrefix(l, prefix) {
			continue
		}
		f := fields(l)
		if len(f) < 2 {
			return RegNone
		}
		return atoiStat(f[1])
	}
	return RegNone
}

// parseRegURC reads an unsolicited "+CREG: <stat>[,<lac>,<ci>…]".
func parseRegURC(line string) RegStat {
	f := fields(line)
	if len(f) == 0 {
		return RegNone
	}
	return atoiStat(f[0])
}

func atoiStat(s string) RegStat {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 11 {
		return RegNone
	}
	return RegStat(n)
}

// parseCSQ reads "+CSQ: <rssi>,<ber>": rssi 0-31, or -1 for 99/unknown.
func parseCSQ(info []string) int {
	for _, l := range info {
		if f := fields(l); strings.HasPrefix(l, "+CSQ:") && len(f) > 0 {
			if n, err := strconv.Atoi(f[0]); err == nil && n >= 0 && n <= 31 {
				return n
			}
		}
	}
	return -1
}

// parseCSCA reads "+CSCA: <sca>,<tosca>". Modems in UCS2 character set mode
// send the number as UTF-16 hex.
func parseCSCA(info []string) string {
	for _, l := range info {
		f := fields(l)
		if !strings.HasPrefix(l, "+CSCA:") || len(f) == 0 {
			continue
		}
		return decodeUCS2Hex(f[0])
	}
	return ""
}

func decodeUCS2Hex(s string) string {
	b, err := hex.DecodeString(s)
	if err != nil || len(b)%2 != 0 || len(b) < 4 || b[0] != 0 {
		return s
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	return string(utf16.Decode(u))
}

// parseCOPS reads the operator from "+COPS: <mode>[,<format>,<oper>[,<AcT>]]".
func parseCOPS(info []string) string {
	for _, l := range info {
		if f := fields(l); strings.HasPrefix(l, "+COPS:") && len(f) >= 3 {
			return f[2]
		}
	}
	return ""
}

// parseCMGS reads the message reference from "+CMGS: <mr>[,<scts>]".
func parseCMGS(info []string) (int, bool) {
	for _, l := range info {
		if f := fields(l); strings.HasPrefix(l, "+CMGS:") && len(f) > 0 {
			n, err := strconv.Atoi(f[0])
			return n, err == nil
		}
	}
	return 0, false
}
