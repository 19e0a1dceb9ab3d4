// Package smil reads the order in which an MMS presentation plays its
// parts, from the message's SMIL part (SMIL 2.0 / 3GPP TS 26.234 "PSS
// SMIL" as MMS uses it: <par> slides of <img>, <text>, <audio>, <video>,
// <ref>). The inbox shows a message's parts in this order and the e-mail
// (MM3) attaches them in it.
//
// A src names a part by Content-ID ("cid:x") or by Content-Location, or,
// as some phones write it, by the part's file name. The SMIL is from a
// phone: it is parsed leniently, at most MaxRefs references are read,
// and a document that stops parsing gives what was read before.
//
// # Specs
//
//   - W3C SMIL 2.0; 3GPP TS 26.234 §8.2 (PSS SMIL); OMA-MMS-CONF §8 (the MMS SMIL subset)
//   - RFC 2557 / RFC 2392 (Content-Location and cid: references)
package smil

import (
	"bytes"
	"encoding/xml"
	"strings"

	"github.com/homemmsc/homemmsc/internal/mms"
)

// MaxRefs bounds how many media references are read from a SMIL part;
// a real presentation has a few per slide.
const MaxRefs = 500

// Order returns the indexes of parts (a message's leaf parts, as
// mms.Leaves gives them) in the order the first SMIL part among them
// plays them, then every part it does not mention (the SMIL itself among
// them) in their own order: no part is ever dropped. It reports whether
// a SMIL gave the order; without one the indexes are 0, 1, 2...
func Order(parts []*mms.Part) ([]int, bool) {
	out := make([]int, 0, len(parts))
	used := make([]bool, len(parts))
	if s := find(parts); s != nil {
		for _, src := range Sources(s.Data) {
			if i := Resolve(parts, src); i >= 0 && !used[i] {
				used[i] = true
				out = append(out, i)
			}
		}
	}
	ordered := len(out) > 0
	for i := range parts {
		if !used[i] {
			out = append(out, i)
		}
	}
	return out, ordered
}

func find(parts []*mms.Part) *mms.Part {
	for _, p := range parts {
		if strings.EqualFold(p.ContentType.MediaType, "application/smil") {
			return p
		}
	}
	return nil
}

// Sources returns the src attributes of the media elements of a SMIL
// document, in document order.
func Sources(data []byte) []string {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = false
	d.Entity = xml.HTMLEntity
	var out []string
	for len(out) < MaxRefs {
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

// Resolve finds the part a SMIL src names: "cid:x" is a Content-ID,
// anything else a Content-Location (or the part's name). It returns -1
// when none matches.
func Resolve(parts []*mms.Part, src string) int {
	if cid, ok := cutPrefixFold(src, "cid:"); ok {
		for i, p := range parts {
			if strings.Trim(p.ContentID, "<>") == cid {
				return i
			}
		}
		return -1
	}
	for i, p := range parts {
		if p.ContentLocation == src {
			return i
		}
	}
	for i, p := range parts {
		if strings.EqualFold(p.Filename(), src) || strings.Trim(p.ContentID, "<>") == src {
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
