// Package mms encodes and decodes MMS PDUs: the application/vnd.wap.mms-message
// bodies that phones POST to an MMSC (M-Send.req, M-NotifyResp.ind,
// M-Acknowledge.ind, M-Read-Rec.ind) and that an MMSC sends back
// (M-Send.conf, M-Retrieve.conf, M-Notification.ind, M-Delivery.ind).
// It is a pure codec: bytes in, a Message out, and back. It does no I/O and
// no logging.
//
// # Header encoding
//
// A PDU is a list of headers followed, after Content-Type, by the body. Each
// header is one octet, the field code with its high bit set (0x8C is
// X-Mms-Message-Type, 0x98 X-Mms-Transaction-Id, 0x8D X-Mms-MMS-Version,
// 0x84 Content-Type), then a value. An octet below 0x80 starts an
// application header instead: a NUL-terminated name and a NUL-terminated
// text value. The first octet of every value says how long it is
// (WAP-230-WSP §8.4.1.2), which lets a decoder skip headers it does not
// know:
//
//   - 0–30: a Short-length; that many octets follow.
//   - 31: a Length-quote; a uintvar length follows, then that many octets.
//     These two forms together are a Value-length.
//   - 32–127: a text, up to and including a NUL octet.
//   - 128–255: a Short-integer; the value is the low seven bits, and the
//     octet is the whole value.
//
// A uintvar carries seven bits per octet, most significant first, with the
// high bit set on every octet but the last (0x81 0x00 is 128). A
// Long-integer is a Short-length and that many big-endian octets; dates are
// Long-integers of seconds since 1970 UTC. An Integer-value is either.
//
// A Text-string is octets up to NUL; when its first octet is 0x80 or above
// it is preceded by a 0x7F quote so that it is not read as a
// Short-integer. A Quoted-string starts with '"' instead (Content-ID, and
// the Text-value form of WSP 1.4 parameters). An Encoded-string-value
// (Subject, addresses) is a Text-string or a Value-length, a charset
// (IANA MIBenum as an Integer-value: 0xEA is UTF-8) and a Text-string.
// Addresses carry their kind: "+15551234567/TYPE=PLMN",
// "192.0.2.1/TYPE=IPv4", or an e-mail address. From is a Value-length and
// either 0x80 (address present) and the address, or 0x81 (insert-address
// token: the MMSC is asked to fill in the sender); `89 01 81` is what most
// phones send. The codec decodes whatever text an address holds;
// Address.Sender says whether it is one of those addresses (a From of
// "<b>Anna</b>" names no sender), and ValidSender checks one stored
// without its suffix (BareAddress).
//
// Content-Type is a well-known media type as a Short-integer (0xB3 is
// application/vnd.wap.multipart.related), a text, or a Value-length with
// the media type and parameters. Parameters are typed (a well-known code,
// WAP-230-WSP Table 38: 0x89 type and 0x8A start in WSP 1.2, 0x99 start as
// a Text-value in WSP 1.4, 0x81 charset, 0x85 name, 0x86 filename) or
// untyped (a token name and a value). Message.ContentType and
// Part.ContentType hold them by lower-case name, whatever code carried
// them.
//
// Encode writes X-Mms-Message-Type, X-Mms-Transaction-Id and
// X-Mms-MMS-Version first, second and third (old mmsd refuses anything
// else) and Content-Type last, and uses the WSP 1.2 parameter codes that
// every decoder in the field knows. Decoding what Encode wrote gives back
// an equal Message.
//
// # Multipart body
//
// When the content type is application/vnd.wap.multipart.* (or multipart/*),
// the body is a WSP multipart (WAP-230-WSP §8.5): a uintvar count of
// entries, then per entry a uintvar HeadersLen, a uintvar DataLen, the
// part's Content-Type, its headers (HeadersLen covers both) and DataLen
// octets of data. Part headers are WSP headers: Content-Location (0x8E),
// Content-ID (0xC0, usually "<id>" as a Quoted-string; the iPhone sends it
// without the angle brackets), Content-Disposition (0xAE, or 0xC5 in WSP
// 1.4) and application headers such as Content-Transfer-Encoding, whose
// base64 and quoted-printable parts are decoded (RFC 2045) into Part.Data.
// Otherwise Part.Data aliases the input. A part may itself be a multipart;
// its entries are then in Part.Parts.
//
// Headers the codec does not map to a field, and known headers whose value
// has an unexpected form, are kept with their raw value in Message.Other
// and Part.Headers and encoded back as they came.
//
// # Limits
//
// Decode checks every length against the octets that remain and refuses,
// with an error wrapping one of the sentinels (test with errors.Is):
//
//   - a PDU longer than MaxPDU (8 MiB): ErrTooLarge;
//   - more than MaxParts (256) multipart entries in all, counted from the
//     entry count before anything is allocated for them: ErrTooManyParts;
//   - a text longer than MaxString (8 KiB): ErrTooLarge;
//   - multiparts nested deeper than MaxDepth (4): ErrTooDeep;
//   - more than MaxHeaders (256) headers in the message headers or in one
//     part's headers, or parameters in one value: ErrTooManyHeaders;
//   - a length that runs past the end: ErrTruncated; a value of the wrong
//     form where one is required: ErrMalformed; input that does not start
//     with X-Mms-Message-Type: ErrNotMMS.
//
// The errors are *DecodeError values that carry the offset. Decode never
// panics. Encode refuses a Message it cannot express with ErrInvalid, and
// a result over MaxPDU with ErrTooLarge.
//
// # Specs
//
//   - OMA-TS-MMS_ENC-V1_3 (and V1_0, V1_1, V1_2): MMS Encapsulation Protocol,
//     §7 binary encoding of the PDUs and headers.
//   - WAP-230-WSP-20010705-a: Wireless Session Protocol, §8.1.2 uintvar,
//     §8.4 header encoding (Tables 38–40: parameters, header fields, content
//     types), §8.5 multipart.
//   - RFC 2045: MIME base64 and quoted-printable transfer encodings.
//   - IANA Character Sets registry: the MIBenum charset numbers.
package mms
