package inbox

import (
	"mime"
	"strings"
	"unicode"
	"unicode/utf8"
)

// kind is how the inbox shows a part.
type kind int

const (
	kindFile  kind = iota // a download, nothing else
	kindImage             // <img>: a raster type browsers decode safely
	kindAudio             // <audio>
	kindVideo             // <video>
	kindText              // text/plain, shown escaped
	kindSMIL              // the presentation: used for the order, offered as a download
)

// inlineImages are the only image types shown inline. SVG is absent on
// purpose: it is a document that can carry script.
var inlineImages = map[string]bool{
	"image/png": true, "image/jpeg": true, "image/jpg": true, "image/pjpeg": true,
	"image/gif": true, "image/webp": true, "image/bmp": true, "image/x-ms-bmp": true,
	wbmpType: true, // converted to PNG: see wbmp.go
}

// mediaType returns the lower-case type/subtype of ct, or "" when it
// does not parse.
func mediaType(ct string) string {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return ""
	}
	return strings.ToLower(mt)
}

// kindOf decides how a part of content type ct is shown. Anything not
// known to be safe is a download.
func kindOf(ct string) kind {
	mt := mediaType(ct)
	switch {
	case inlineImages[mt]:
		return kindImage
	case mt == "text/plain":
		return kindText
	case mt == "application/smil":
		return kindSMIL
	case strings.HasPrefix(mt, "audio/") && !strings.Contains(mt, "+xml"):
		return kindAudio
	case strings.HasPrefix(mt, "video/") && !strings.Contains(mt, "+xml"):
		return kindVideo
	}
	return kindFile
}

func (k kind) String() string {
	return [...]string{"file", "image", "audio", "video", "text", "smil"}[k]
}

// thumbable reports whether the inbox makes thumbnails of ct: the image
// types it shows inline.
func thumbable(ct string) bool { return inlineImages[mediaType(ct)] }

// safeName makes a name from a PDU usable as a file name in a download
// or a zip: no path separators, no control characters, no leading dots,
// at most 100 bytes. It returns "" when nothing usable is left.
func safeName(s string) string {
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		s = s[i+1:]
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == utf8.RuneError, unicode.IsControl(r), strings.ContainsRune(`<>:"|?*`, r):
			b.WriteRune('_')
		default:
			b.WriteRune(r)
		}
	}
	out := strings.TrimLeft(strings.TrimSpace(b.String()), ".")
	for len(out) > 100 {
		_, size := utf8.DecodeLastRuneInString(out)
		out = out[:len(out)-size]
	}
	return out
}
