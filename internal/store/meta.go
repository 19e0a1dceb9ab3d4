package store

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"mime"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/homemmsc/homemmsc/internal/mms"
)

// buildMeta records what Put knows about in, except the id, the time
// and the sha256, which commit computes while the PDU is being flushed.
func buildMeta(in Incoming) Meta {
	m := in.Msg
	meta := Meta{
		Sender: Sender{
			Number: clean(in.Sender.Number, MaxTextLen),
			Name:   clean(in.Sender.Name, MaxTextLen),
			Source: clean(in.Sender.Source, 16),
		},
		Subject:       clean(m.Subject.Text(), MaxTextLen),
		TransactionID: clean(m.TransactionID, MaxTextLen),
		Version:       versionString(m.Version),
		ContentType:   clean(m.ContentType.MediaType, MaxTextLen),
		Size:          int64(len(in.PDU)),
		Hints:         cleanHints(in.Hints),
		RemoteAddr:    clean(in.RemoteAddr, MaxTextLen),
	}
	budget := MaxRecipients
	meta.To = addresses(m.To, &budget)
	meta.Cc = addresses(m.Cc, &budget)
	meta.Bcc = addresses(m.Bcc, &budget)
	meta.Parts = partMetas(m.Parts)
	return meta
}

func addresses(as []mms.Address, budget *int) []string {
	var out []string
	for _, a := range as {
		if *budget <= 0 {
			break
		}
		*budget--
		out = append(out, clean(a.String(), MaxTextLen))
	}
	return out
}

func partMetas(parts []mms.Part) []PartMeta {
	if len(parts) == 0 {
		return nil
	}
	width := max(2, len(fmt.Sprint(len(parts))))
	out := make([]PartMeta, len(parts))
	for i, p := range parts {
		ct := strings.ToLower(p.ContentType.MediaType)
		charset, _ := p.ContentType.Param("charset")
		out[i] = PartMeta{
			Index:       i,
			ContentType: clean(ct, MaxTextLen),
			Charset:     clean(charset, 64),
			Name:        clean(partName(p), MaxTextLen),
			ContentID:   clean(p.ContentID, MaxTextLen),
			File:        fmt.Sprintf("part-%0*d%s", width, i+1, extension(ct)),
			Size:        int64(len(p.Data)),
		}
	}
	return out
}

// partName is the name the sender gave the part, in order of preference:
// the disposition's filename, the content type's name, Content-Location.
// It is metadata for display only.
func partName(p mms.Part) string {
	for _, prm := range p.DispositionParams {
		if prm.Name == "filename" && prm.Value != "" {
			return prm.Value
		}
	}
	for _, n := range []string{"name", "filename"} {
		if v, ok := p.ContentType.Param(n); ok && v != "" {
			return v
		}
	}
	return p.ContentLocation
}

// extensions maps the media types phones send to the extension of the
// generated part file name. Anything else is ".bin".
var extensions = map[string]string{
	"application/smil":         ".smil",
	"text/plain":               ".txt",
	"text/html":                ".html",
	"text/x-vcard":             ".vcf",
	"text/vcard":               ".vcf",
	"text/x-vcalendar":         ".vcs",
	"text/calendar":            ".ics",
	"image/jpeg":               ".jpg",
	"image/jpg":                ".jpg",
	"image/pjpeg":              ".jpg",
	"image/png":                ".png",
	"image/gif":                ".gif",
	"image/bmp":                ".bmp",
	"image/x-ms-bmp":           ".bmp",
	"image/webp":               ".webp",
	"image/heic":               ".heic",
	"image/heif":               ".heif",
	"image/vnd.wap.wbmp":       ".wbmp",
	"image/svg+xml":            ".svg",
	"audio/amr":                ".amr",
	"audio/amr-wb":             ".awb",
	"audio/mpeg":               ".mp3",
	"audio/mp3":                ".mp3",
	"audio/mp4":                ".m4a",
	"audio/aac":                ".aac",
	"audio/3gpp":               ".3gp",
	"audio/ogg":                ".ogg",
	"audio/wav":                ".wav",
	"audio/x-wav":              ".wav",
	"audio/midi":               ".mid",
	"audio/mid":                ".mid",
	"audio/sp-midi":            ".mid",
	"video/3gpp":               ".3gp",
	"video/3gpp2":              ".3g2",
	"video/mp4":                ".mp4",
	"video/quicktime":          ".mov",
	"application/ogg":          ".ogg",
	"application/pdf":          ".pdf",
	"application/octet-stream": ".bin",
}

// extension returns the file extension for media type ct (lower case).
func extension(ct string) string {
	if mt, _, err := mime.ParseMediaType(ct); err == nil {
		ct = mt
	}
	if ext, ok := extensions[ct]; ok {
		return ext
	}
	return ".bin"
}

// clean makes s safe to record and show: valid UTF-8, no control
// characters, at most n bytes (cut on a rune boundary).
func clean(s string, n int) string {
	if len(s) > 4*n { // bound the work on hostile input before scanning
		s = s[:4*n]
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// cleanHints keeps at most MaxHints hints, chosen by key order so the
// choice is stable, with keys and values cleaned.
func cleanHints(h map[string]string) map[string]string {
	if len(h) == 0 {
		return nil
	}
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make(map[string]string, min(len(keys), MaxHints))
	for _, k := range keys {
		if len(out) == MaxHints {
			break
		}
		ck := clean(k, MaxHintLen)
		if ck == "" {
			continue
		}
		out[ck] = clean(h[k], MaxHintLen)
	}
	return out
}

// versionString is "" when the PDU carried no MMS-Version.
func versionString(v mms.Version) string {
	if v == 0 {
		return ""
	}
	return v.String()
}

// crcTable is CRC-32C (Castagnoli), which amd64 and arm64 compute in
// hardware: a log record's check that its PDU reached the card whole.
var crcTable = crc32.MakeTable(crc32.Castagnoli)

// pduCRC is the CRC-32C of a PDU, as a new message's record holds it.
func pduCRC(pdu []byte) uint32 { return crc32.Checksum(pdu, crcTable) }

// pduSum is the hex sha256 of a PDU, which the earlier layouts recorded.
func pduSum(pdu []byte) string {
	sum := sha256.Sum256(pdu)
	return hex.EncodeToString(sum[:])
}
