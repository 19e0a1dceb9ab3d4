package mms

// Assigned numbers. The tables are fixed arrays and maps built once by the
// compiler's static initialisation of composite literals; nothing changes
// them at run time.

// mediaTypes is WAP-230-WSP Table 40 (Content Type Assignments) with the
// later OMNA registrations up to 0x52. The index is the well-known code.
var mediaTypes = [...]string{
	0x00: "*/*",
	0x01: "text/*",
	0x02: "text/html",
	0x03: "text/plain",
	0x04: "text/x-hdml",
	0x05: "text/x-ttml",
	0x06: "text/x-vcalendar",
	0x07: "text/x-vcard",
	0x08: "text/vnd.wap.wml",
	0x09: "text/vnd.wap.wmlscript",
	0x0A: "text/vnd.wap.wta-event",
	0x0B: "multipart/*",
	0x0C: "multipart/mixed",
	0x0D: "multipart/form-data",
	0x0E: "multipart/byteranges",
	0x0F: "multipart/alternative",
	0x10: "application/*",
	0x11: "application/java-vm",
	0x12: "application/x-www-form-urlencoded",
	0x13: "application/x-hdmlc",
	0x14: "application/vnd.wap.wmlc",
	0x15: "application/vnd.wap.wmlscriptc",
	0x16: "application/vnd.wap.wta-eventc",
	0x17: "application/vnd.wap.uaprof",
	0x18: "application/vnd.wap.wtls-ca-certificate",
	0x19: "application/vnd.wap.wtls-user-certificate",
	0x1A: "application/x-x509-ca-cert",
	0x1B: "application/x-x509-user-cert",
	0x1C: "image/*",
	0x1D: "image/gif",
	0x1E: "image/jpeg",
	0x1F: "image/tiff",
	0x20: "image/png",
	0x21: "image/vnd.wap.wbmp",
	0x22: "application/vnd.wap.multipart.*",
	0x23: "application/vnd.wap.multipart.mixed",
	0x24: "application/vnd.wap.multipart.form-data",
	0x25: "application/vnd.wap.multipart.byteranges",
	0x26: "application/vnd.wap.multipart.alternative",
	0x27: "application/xml",
	0x28: "text/xml",
	0x29: "application/vnd.wap.wbxml",
	0x2A: "application/x-x968-cross-cert",
	0x2B: "application/x-x968-ca-cert",
	0x2C: "application/x-x968-user-cert",
	0x2D: "text/vnd.wap.si",
	0x2E: "application/vnd.wap.sic",
	0x2F: "text/vnd.wap.sl",
	0x30: "application/vnd.wap.slc",
	0x31: "text/vnd.wap.co",
	0x32: "application/vnd.wap.coc",
	0x33: "application/vnd.wap.multipart.related",
	0x34: "application/vnd.wap.sia",
	0x35: "text/vnd.wap.connectivity-xml",
	0x36: "application/vnd.wap.connectivity-wbxml",
	0x37: "application/pkcs7-mime",
	0x38: "application/vnd.wap.hashed-certificate",
	0x39: "application/vnd.wap.signed-certificate",
	0x3A: "application/vnd.wap.cert-response",
	0x3B: "application/xhtml+xml",
	0x3C: "application/wml+xml",
	0x3D: "text/css",
	0x3E: "application/vnd.wap.mms-message",
	0x3F: "application/vnd.wap.rollover-certificate",
	0x40: "application/vnd.wap.locc+wbxml",
	0x41: "application/vnd.wap.loc+xml",
	0x42: "application/vnd.syncml.dm+wbxml",
	0x43: "application/vnd.syncml.dm+xml",
	0x44: "application/vnd.syncml.notification",
	0x45: "application/vnd.wap.xhtml+xml",
	0x46: "application/vnd.wv.csp.cir",
	0x47: "application/vnd.oma.dd+xml",
	0x48: "application/vnd.oma.drm.message",
	0x49: "application/vnd.oma.drm.content",
	0x4A: "application/vnd.oma.drm.rights+xml",
	0x4B: "application/vnd.oma.drm.rights+wbxml",
	0x4C: "application/vnd.wv.csp+xml",
	0x4D: "application/vnd.wv.csp+wbxml",
	0x4E: "application/vnd.syncml.ds.notification",
	0x4F: "audio/*",
	0x50: "video/*",
	0x51: "application/vnd.oma.dd2+xml",
	0x52: "application/mikey",
}

// mediaCode returns the well-known code of a lower-case media type.
func mediaCode(t string) (byte, bool) {
	for i, s := range mediaTypes {
		if s == t {
			return byte(i), true
		}
	}
	return 0, false
}

// mediaName returns the media type of a well-known code.
func mediaName(code uint64) (string, bool) {
	if code < uint64(len(mediaTypes)) {
		return mediaTypes[code], true
	}
	return "", false
}

// Media types the codec treats as a WSP multipart body.
const (
	MediaMultipartMixed   = "application/vnd.wap.multipart.mixed"
	MediaMultipartRelated = "application/vnd.wap.multipart.related"
	MediaMMSMessage       = "application/vnd.wap.mms-message"
	MediaSMIL             = "application/smil"
)

// IsMultipart reports whether the body is a WSP multipart (Parts).
func (c ContentType) IsMultipart() bool { return isMultipart(c.MediaType) }

// isMultipart reports whether a media type's body is a WSP multipart:
// application/vnd.wap.multipart.* and multipart/*.
func isMultipart(t string) bool {
	return hasPrefix(t, "application/vnd.wap.multipart.") || hasPrefix(t, "multipart/")
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

// charsets maps IANA MIBenum to the preferred lower-case MIME name.
var charsets = map[Charset]string{
	3:    "us-ascii",
	4:    "iso-8859-1",
	5:    "iso-8859-2",
	6:    "iso-8859-3",
	7:    "iso-8859-4",
	8:    "iso-8859-5",
	9:    "iso-8859-6",
	10:   "iso-8859-7",
	11:   "iso-8859-8",
	12:   "iso-8859-9",
	13:   "iso-8859-10",
	17:   "shift_jis",
	18:   "euc-jp",
	36:   "ks_c_5601-1987",
	37:   "iso-2022-kr",
	38:   "euc-kr",
	39:   "iso-2022-jp",
	40:   "iso-2022-jp-2",
	106:  "utf-8",
	109:  "iso-8859-13",
	110:  "iso-8859-14",
	111:  "iso-8859-15",
	112:  "iso-8859-16",
	113:  "gbk",
	114:  "gb18030",
	1000: "iso-10646-ucs-2",
	1013: "utf-16be",
	1014: "utf-16le",
	1015: "utf-16",
	2025: "gb2312",
	2026: "big5",
	2084: "koi8-r",
	2088: "koi8-u",
	2250: "windows-1250",
	2251: "windows-1251",
	2252: "windows-1252",
	2253: "windows-1253",
	2254: "windows-1254",
	2255: "windows-1255",
	2256: "windows-1256",
	2257: "windows-1257",
	2258: "windows-1258",
	2259: "tis-620",
}

// String returns the charset's MIME name, or "mib-N" for one not listed.
func (c Charset) String() string {
	if n, ok := charsets[c]; ok {
		return n
	}
	return "mib-" + utoa(uint64(c))
}

// charsetByName returns the MIBenum of a lower-case MIME name.
func charsetByName(name string) (Charset, bool) {
	for c, n := range charsets {
		if n == name {
			return c, true
		}
	}
	return 0, false
}

// Header field codes of OMA-MMS-ENC §7.4 Table 25, without the 0x80 flag.
const (
	fieldBcc              = 0x01
	fieldCc               = 0x02
	fieldContentLocation  = 0x03
	fieldContentType      = 0x04
	fieldDate             = 0x05
	fieldDeliveryReport   = 0x06
	fieldDeliveryTime     = 0x07
	fieldExpiry           = 0x08
	fieldFrom             = 0x09
	fieldMessageClass     = 0x0A
	fieldMessageID        = 0x0B
	fieldMessageType      = 0x0C
	fieldMMSVersion       = 0x0D
	fieldMessageSize      = 0x0E
	fieldPriority         = 0x0F
	fieldReadReport       = 0x10
	fieldReportAllowed    = 0x11
	fieldResponseStatus   = 0x12
	fieldResponseText     = 0x13
	fieldSenderVisibility = 0x14
	fieldStatus           = 0x15
	fieldSubject          = 0x16
	fieldTo               = 0x17
	fieldTransactionID    = 0x18
	fieldRetrieveStatus   = 0x19
	fieldRetrieveText     = 0x1A
	fieldReadStatus       = 0x1B
)

// Message-Class short codes (§7.3.27).
var messageClasses = [...]string{"personal", "advertisement", "informational", "auto"}

// WSP header field codes used in part headers (WAP-230-WSP Table 39).
const (
	wspContentLocation      = 0x0E
	wspContentDisposition   = 0x2E // WSP 1.1–1.3
	wspContentID            = 0x40
	wspContentDisposition14 = 0x45 // WSP 1.4
)

// Content-Disposition short codes (WAP-230-WSP §8.4.2.53).
var dispositions = [...]string{"form-data", "attachment", "inline"}
