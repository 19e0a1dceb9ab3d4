package mms

import (
	"strconv"
)

// Content-type-value (WAP-230-WSP §8.4.2.24):
//
//	Content-type-value   = Constrained-media | Content-general-form
//	Constrained-media    = Short-integer (well-known) | Extension-media (text)
//	Content-general-form = Value-length Media-type
//	Media-type           = (Well-known-media | Extension-media) *(Parameter)

// readContentType reads a Content-type-value.
func readContentType(p []byte) (ContentType, []byte, error) {
	var ct ContentType
	if len(p) == 0 {
		return ct, p, errorf(ErrTruncated, "content type")
	}
	if p[0] > lengthQuote {
		t, rest, err := readMedia(p)
		ct.MediaType = t
		return ct, rest, err
	}
	body, rest, err := readValueLength(p)
	if err != nil {
		return ct, p, err
	}
	if ct.MediaType, body, err = readMedia(body); err != nil {
		return ct, p, err
	}
	if ct.Params, err = readParams(body); err != nil {
		return ct, p, err
	}
	return ct, rest, nil
}

// readMedia reads Well-known-media (Integer-value) or Extension-media.
func readMedia(p []byte) (string, []byte, error) {
	if len(p) == 0 {
		return "", p, errorf(ErrTruncated, "media type")
	}
	if p[0] == lengthQuote {
		return "", p, errorf(ErrMalformed, "media type starts with 0x1F")
	}
	if p[0] >= 0x80 || p[0] < lengthQuote {
		code, rest, err := readInteger(p)
		if err != nil {
			return "", p, err
		}
		name, ok := mediaName(code)
		if !ok {
			return "", p, errorf(ErrMalformed, "unassigned well-known media type 0x%02X", code)
		}
		return name, rest, nil
	}
	t, rest, err := readToken(p)
	if err != nil {
		return "", p, err
	}
	if t == "" {
		return "", p, errorf(ErrMalformed, "empty media type")
	}
	return lowerASCII(t), rest, nil
}

func appendMedia(dst []byte, t string) ([]byte, error) {
	if c, ok := mediaCode(t); ok {
		return append(dst, c|0x80), nil
	}
	return appendToken(dst, t)
}

// appendContentType appends a Content-type-value: the short form when there
// are no parameters, the general form otherwise.
func appendContentType(dst []byte, ct ContentType) ([]byte, error) {
	if ct.MediaType == "" {
		return dst, errorf(ErrInvalid, "empty media type")
	}
	if len(ct.Params) == 0 {
		return appendMedia(dst, ct.MediaType)
	}
	return appendWithLength(dst, func(b []byte) ([]byte, error) {
		b, err := appendMedia(b, ct.MediaType)
		if err != nil {
			return b, err
		}
		return appendParams(b, ct.Params)
	})
}

// Parameter (§8.4.2.4):
//
//	Parameter         = Typed-parameter | Untyped-parameter
//	Typed-parameter   = Well-known-parameter-token Typed-value
//	Untyped-parameter = Token-text Untyped-value
//	Untyped-value     = Integer-value | Text-value

type paramKind byte

const (
	kindText      paramKind = iota // Text-string
	kindTextValue                  // Text-value
	kindInteger                    // Integer-value, shown in decimal
	kindShortInt                   // Short-integer, shown in decimal
	kindCharset                    // Well-known-charset
	kindMedia                      // Constrained-encoding
	kindMediaInt                   // Integer-value naming a media type (WSP 1.1 Type)
	kindVersion                    // Version-value
	kindQ                          // Q-value
	kindDate                       // Date-value, shown as decimal seconds
	kindNoValue                    // No-value
	kindFieldName                  // Field-name
)

type paramDef struct {
	name string
	kind paramKind
}

// params is WAP-230-WSP Table 38. Codes 0x05–0x0F carry Text-string values
// (WSP 1.1–1.3); 0x17–0x1D are their WSP 1.4 Text-value replacements.
var params = [...]paramDef{
	0x00: {"q", kindQ},
	0x01: {"charset", kindCharset},
	0x02: {"level", kindVersion},
	0x03: {"type", kindMediaInt},
	0x04: {},
	0x05: {"name", kindText},
	0x06: {"filename", kindText},
	0x07: {"differences", kindFieldName},
	0x08: {"padding", kindShortInt},
	0x09: {"type", kindMedia},
	0x0A: {"start", kindText},
	0x0B: {"start-info", kindText},
	0x0C: {"comment", kindText},
	0x0D: {"domain", kindText},
	0x0E: {"max-age", kindInteger},
	0x0F: {"path", kindText},
	0x10: {"secure", kindNoValue},
	0x11: {"sec", kindShortInt},
	0x12: {"mac", kindTextValue},
	0x13: {"creation-date", kindDate},
	0x14: {"modification-date", kindDate},
	0x15: {"read-date", kindDate},
	0x16: {"size", kindInteger},
	0x17: {"name", kindTextValue},
	0x18: {"filename", kindTextValue},
	0x19: {"start", kindTextValue},
	0x1A: {"start-info", kindTextValue},
	0x1B: {"comment", kindTextValue},
	0x1C: {"domain", kindTextValue},
	0x1D: {"path", kindTextValue},
}

// encodeParam is the code Encode uses for a parameter name: the WSP 1.2
// codes, which every decoder in the field knows.
var encodeParam = map[string]byte{
	"charset": 0x01, "level": 0x02, "name": 0x05, "filename": 0x06,
	"padding": 0x08, "type": 0x09, "start": 0x0A, "start-info": 0x0B,
	"comment": 0x0C, "domain": 0x0D, "max-age": 0x0E, "path": 0x0F,
	"secure": 0x10, "sec": 0x11, "mac": 0x12, "creation-date": 0x13,
	"modification-date": 0x14, "read-date": 0x15, "size": 0x16,
}

func readParams(p []byte) ([]Param, error) {
	var out []Param
	for len(p) > 0 {
		if len(out) >= MaxHeaders {
			return nil, errorf(ErrTooManyHeaders, "more than %d parameters", MaxHeaders)
		}
		var prm Param
		var err error
		if prm, p, err = readParam(p); err != nil {
			return nil, err
		}
		out = append(out, prm)
	}
	return out, nil
}

func readParam(p []byte) (Param, []byte, error) {
	if p[0] == lengthQuote {
		return Param{}, p, errorf(ErrMalformed, "parameter starts with 0x1F")
	}
	if p[0] >= 0x80 || p[0] < lengthQuote {
		code, rest, err := readInteger(p)
		if err != nil {
			return Param{}, p, err
		}
		if code >= uint64(len(params)) || params[code].name == "" {
			return Param{}, p, errorf(ErrMalformed, "unassigned parameter 0x%02X", code)
		}
		def := params[code]
		v, rest, err := readTyped(rest, def.kind)
		if err != nil {
			return Param{}, p, errorf(err, "parameter %s", def.name)
		}
		return Param{Name: def.name, Value: v}, rest, nil
	}
	name, rest, err := readToken(p)
	if err != nil {
		return Param{}, p, err
	}
	if len(rest) > 0 && (rest[0] >= 0x80 || (rest[0] > 0 && rest[0] < lengthQuote)) {
		v, rest2, err := readInteger(rest)
		if err != nil {
			return Param{}, p, err
		}
		return Param{Name: lowerASCII(name), Value: utoa(v)}, rest2, nil
	}
	v, rest, err := readTextValue(rest)
	if err != nil {
		return Param{}, p, err
	}
	return Param{Name: lowerASCII(name), Value: v}, rest, nil
}

func readTyped(p []byte, k paramKind) (string, []byte, error) {
	switch k {
	case kindText:
		s, rest, err := readText(p, false)
		return string(s), rest, err
	case kindTextValue:
		return readTextValue(p)
	case kindInteger:
		v, rest, err := readInteger(p)
		return utoa(v), rest, err
	case kindShortInt:
		v, rest, err := readShortInt(p)
		return utoa(uint64(v)), rest, err
	case kindCharset:
		return readCharsetParam(p)
	case kindMedia:
		return readMedia(p)
	case kindMediaInt:
		v, rest, err := readInteger(p)
		if name, ok := mediaName(v); ok && err == nil {
			return name, rest, nil
		}
		return utoa(v), rest, err
	case kindVersion:
		return readVersionValue(p)
	case kindQ:
		return readQ(p)
	case kindDate:
		v, rest, err := readLongInt(p)
		return utoa(v), rest, err
	case kindNoValue:
		if len(p) == 0 || p[0] != 0 {
			return "", p, errorf(ErrMalformed, "no-value expected")
		}
		return "", p[1:], nil
	default: // kindFieldName
		if len(p) > 0 && p[0] >= 0x80 {
			return utoa(uint64(p[0] & 0x7F)), p[1:], nil
		}
		return readToken(p)
	}
}

// readCharsetParam reads Well-known-charset = Any-charset | Integer-value.
func readCharsetParam(p []byte) (string, []byte, error) {
	if len(p) > 0 && p[0] == 0x80 {
		return "*", p[1:], nil
	}
	if len(p) > 0 && p[0] > lengthQuote && p[0] < 0x80 {
		// Some encoders put the name as text here.
		s, rest, err := readToken(p)
		return lowerASCII(s), rest, err
	}
	v, rest, err := readInteger(p)
	if err != nil {
		return "", p, err
	}
	if v <= 0xFFFFFFFF {
		if n, ok := charsets[Charset(v)]; ok {
			return n, rest, nil
		}
	}
	return utoa(v), rest, nil
}

// readVersionValue reads Version-value = Short-integer | Text-string; the
// short form holds the major version in bits 6–4 and the minor in 3–0, 15
// meaning no minor version.
func readVersionValue(p []byte) (string, []byte, error) {
	if len(p) > 0 && p[0] >= 0x80 {
		return versionText(p[0] & 0x7F), p[1:], nil
	}
	s, rest, err := readText(p, false)
	return string(s), rest, err
}

func versionText(v byte) string {
	if v&0x0F == 0x0F {
		return utoa(uint64(v >> 4))
	}
	return utoa(uint64(v>>4)) + "." + utoa(uint64(v&0x0F))
}

// readQ reads a Q-value: a uintvar of one or two octets; 1–100 are
// hundredths plus one, 101–1099 thousandths plus 100.
func readQ(p []byte) (string, []byte, error) {
	v, rest, err := readUintvar(p)
	if err != nil {
		return "", p, err
	}
	switch {
	case v >= 1 && v <= 100:
		return strconv.FormatFloat(float64(v-1)/100, 'f', -1, 64), rest, nil
	case v > 100 && v <= 1099:
		return strconv.FormatFloat(float64(v-100)/1000, 'f', -1, 64), rest, nil
	}
	return "", p, errorf(ErrMalformed, "q-value %d", v)
}

func appendParams(dst []byte, ps []Param) ([]byte, error) {
	var err error
	for _, p := range ps {
		if dst, err = appendParam(dst, p); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// appendParam appends a parameter typed when its value has the typed
// form's canonical shape, so that it decodes back to the same name and
// value, and untyped (name and Text-value) otherwise.
func appendParam(dst []byte, p Param) ([]byte, error) {
	if code, ok := encodeParam[p.Name]; ok {
		if b, ok := appendTyped(dst, code|0x80, params[code].kind, p.Value); ok {
			return b, nil
		}
	}
	if p.Name == "" || p.Name[0] >= 0x80 || p.Name != lowerASCII(p.Name) {
		return dst, errorf(ErrInvalid, "parameter name %q", p.Name)
	}
	dst, err := appendToken(dst, p.Name)
	if err != nil {
		return dst, err
	}
	return appendTextValue(dst, p.Value)
}

// appendTyped appends a typed parameter, or reports false when the value
// has no canonical typed encoding.
func appendTyped(dst []byte, code byte, k paramKind, v string) ([]byte, bool) {
	tok := append(dst, code)
	switch k {
	case kindText:
		b, err := appendTextString(tok, v)
		return b, err == nil
	case kindTextValue:
		b, err := appendTextValue(tok, v)
		return b, err == nil
	case kindInteger, kindDate:
		n, ok := canonicalUint(v)
		if !ok {
			return dst, false
		}
		if k == kindDate {
			return appendLongInt(tok, n), true
		}
		return appendInteger(tok, n), true
	case kindShortInt:
		n, ok := canonicalUint(v)
		if !ok || n > 0x7F {
			return dst, false
		}
		return append(tok, byte(n)|0x80), true
	case kindCharset:
		if v == "*" {
			return append(tok, 0x80), true
		}
		c, ok := charsetByName(v)
		if !ok {
			return dst, false
		}
		return appendInteger(tok, uint64(c)), true
	case kindMedia:
		b, err := appendMedia(tok, v)
		return b, err == nil && v == lowerASCII(v)
	case kindVersion:
		if b, ok := appendShortVersion(tok, v); ok {
			return b, true
		}
		b, err := appendTextString(tok, v)
		return b, err == nil
	case kindNoValue:
		return append(tok, 0), v == ""
	}
	return dst, false
}

func appendShortVersion(dst []byte, v string) ([]byte, bool) {
	for major := byte(0); major < 8; major++ {
		for minor := byte(0); minor < 16; minor++ {
			if versionText(major<<4|minor) == v {
				return append(dst, 0x80|major<<4|minor), true
			}
		}
	}
	return dst, false
}

// canonicalUint parses a decimal without sign or leading zeros.
func canonicalUint(s string) (uint64, bool) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || strconv.FormatUint(n, 10) != s {
		return 0, false
	}
	return n, true
}

func utoa(v uint64) string { return strconv.FormatUint(v, 10) }

// lowerASCII lower-cases ASCII letters and leaves every other octet alone.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
