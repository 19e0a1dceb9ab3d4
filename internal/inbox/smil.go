package inbox

import (
	"bytes"
	"encoding/xml"
	"strings"
)

// maxSMILRefs bounds how many media references are read from a SMIL
// part; a real presentation has a few per slide.
const maxSMILRefs = 500

// smilOrder returns the leaves in the order the message's SMIL
// presentation plays them, then every leaf it does not mention (the SMIL
// itself among them) in PDU order: no part is ever dropped. It reports
// whether a SMIL gave the order.
func smilOrder(ls []leaf) ([]leaf, bool) {
	var smil *leaf
	for i := range ls {
		if kindOf(ls[i].Part.ContentType.MediaType) == kindSMIL {
			smil = &ls[i]
			break
		}
	}
	if smil == nil {
		return ls, false
	}
	var out []leaf
	used := make([]bool, len(ls))
	for _, src := range smilSources(smil.Part.Data) {
		if i := resolve(ls, src); i >= 0 && !used[i] {
			used[i] = true
			out = append(out, ls[i])
		}
	}
	if len(out) == 0 {
		return ls, false
	}
	for i, l := range ls {
		if !used[i] {
			out = append(out, l)
		}
	}
	return out, true
}

// smilSources returns the src attributes of the media elements of a SMIL
// document (SMIL 2.0 / 3GPP TS 26.234 "PSS SMIL" as MMS uses it: <par>
// slides of <img>, <text>, <audio>, <video>, <ref>), in document order.
// A document that stops parsing gives what was read before the error.
func smilSources(data []byte) []string {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = false
	d.Entity = xml.HTMLEntity
	var out []string
	for len(out) < maxSMILRefs {
		tok, err := d.Token()
		if err != nil {
			break
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch strings.ToLower(se.Name.Local) {
		case "img", "image", "text", "audio", "video", "ref", "textstream", "animation":
			for _, a := range se.Attr {
				if strings.EqualFold(a.Name.Local, "src") && a.Value != "" {
					out = append(out, a.Value)
				}
			}
		}
	}
	return out
}

// resolve finds the leaf a SMIL src names: "cid:x" is a Content-ID,
// anything else a Content-Location (or, as some phones write it, the
// part's name). It returns -1 when none matches.
func resolve(ls []leaf, src string) int {
	if cid, ok := cutPrefixFold(src, "cid:"); ok {
		for i, l := range ls {
			if strings.Trim(l.Part.ContentID, "<>") == cid {
				return i
			}
		}
		return -1
	}
	for i, l := range ls {
		if l.Part.ContentLocation == src {
			return i
		}
	}
	for i, l := range ls {
		if strings.EqualFold(l.Part.Filename(), src) || strings.Trim(l.Part.ContentID, "<>") == src {
			return i
		}
	}
	return -1
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}
