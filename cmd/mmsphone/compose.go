package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/phones"
)

// compose builds the M-Send.req a phone would send: MMS 1.2, From the
// insert-address token (or -from), the recipients as PLMN addresses, and
// a multipart/related body whose first part is a one-slide SMIL that lays
// out the picture above the text, as Android's and iOS's clients do.
func compose(o options, now time.Time) (*mms.Message, error) {
	m := &mms.Message{
		Type:          mms.TypeSendReq,
		TransactionID: fmt.Sprintf("mmsphone-%d", now.UnixNano()),
		Version:       mms.Version12,
		From:          mms.Address{Insert: true},
		Date:          now.Truncate(time.Second),
		ContentType: mms.ContentType{MediaType: "application/vnd.wap.multipart.related",
			Params: []mms.Param{{Name: "start", Value: "<smil>"}, {Name: "type", Value: "application/smil"}}},
	}
	if o.from != "" {
		if !phones.ValidNumber(o.from) {
			return nil, fmt.Errorf("-from %q: want + and 3-20 digits", o.from)
		}
		m.From = mms.PLMN(o.from)
	}
	for _, n := range strings.Split(o.to, ",") {
		if n = strings.TrimSpace(n); !phones.ValidNumber(n) {
			return nil, fmt.Errorf("-to %q: want + and 3-20 digits", n)
		}
		m.To = append(m.To, mms.PLMN(n))
	}
	if o.subject != "" {
		m.Subject = mms.Text(o.subject)
	}
	img, err := imagePart(o.image)
	if err != nil {
		return nil, err
	}
	text := mms.Part{ContentType: mms.ContentType{MediaType: "text/plain", Params: []mms.Param{{Name: "charset", Value: "utf-8"}}},
		ContentID: "<text>", ContentLocation: "text.txt", Data: []byte(o.text)}
	m.Parts = []mms.Part{smilPart(img), text}
	if img != nil {
		m.Parts = append(m.Parts, *img)
	}
	return m, nil
}

// imagePart reads the picture file, if any; its type is sniffed from its
// bytes, and only pictures phones show are taken.
func imagePart(path string) (*mms.Part, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	ct := http.DetectContentType(b)
	switch ct {
	case "image/jpeg", "image/png", "image/gif":
	default:
		return nil, fmt.Errorf("-image %s: %s, want a JPEG, PNG or GIF picture", path, ct)
	}
	name := filepath.Base(path)
	return &mms.Part{ContentType: mms.ContentType{MediaType: ct, Params: []mms.Param{{Name: "name", Value: name}}},
		ContentID: "<image>", ContentLocation: name, Data: b}, nil
}

// smilPart is the one-slide presentation: the picture (if any) in the
// top region, the text below.
func smilPart(img *mms.Part) mms.Part {
	var b strings.Builder
	b.WriteString(`<smil><head><layout><root-layout width="320" height="480"/>`)
	b.WriteString(`<region id="Image" top="0" left="0" width="320" height="320" fit="meet"/>`)
	b.WriteString(`<region id="Text" top="320" left="0" width="320" height="160" fit="scroll"/>`)
	b.WriteString(`</layout></head><body><par dur="5000ms">`)
	if img != nil {
		fmt.Fprintf(&b, `<img src="%s" region="Image"/>`, xmlAttr(img.ContentLocation))
	}
	b.WriteString(`<text src="text.txt" region="Text"/></par></body></smil>`)
	return mms.Part{ContentType: mms.ContentType{MediaType: "application/smil"}, ContentID: "<smil>",
		ContentLocation: "smil.xml", Data: []byte(b.String())}
}

// xmlAttr escapes a file name for a SMIL attribute.
func xmlAttr(s string) string {
	return strings.NewReplacer(`&`, "&amp;", `"`, "&quot;", `<`, "&lt;", `>`, "&gt;").Replace(s)
}
