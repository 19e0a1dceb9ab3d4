package deliver

import (
	"bytes"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/homemmsc/homemmsc/internal/mms"
)

// The browser page of a message (/v/<key>) is what the SMS fallback
// links to: a phone whose carrier drops WAP push still gets the message
// in its browser. It uses the same unguessable key as /m/<key> and shows
// text parts escaped, images inline, and other parts as downloads. The
// Content-Security-Policy forbids scripts, styles and anything not from
// this page's own origin; parts are served with nosniff and, unless they
// are one of a few image types, as attachments.

var viewPage = template.Must(template.New("view").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>MMS{{with .From}} from {{.}}{{end}}</title></head>
<body>
<h1>MMS{{with .From}} from {{.}}{{end}}</h1>
{{with .Subject}}<h2>{{.}}</h2>{{end}}
{{range .Parts}}{{if .Text}}<p>{{.Text}}</p>
{{else if .Image}}<p><img src="{{.URL}}" alt="{{.Name}}" style="max-width:100%"></p>
{{else}}<p><a href="{{.URL}}" download>{{.Name}}</a> ({{.Type}}, {{.Size}} bytes)</p>
{{end}}{{end}}</body></html>
`))

type viewPart struct {
	Text, URL, Name, Type string
	Image                 bool
	Size                  int
}

// inlineImages are the part types shown inline and served with their
// own media type; every other part is an octet-stream download.
var inlineImages = map[string]bool{"image/jpeg": true, "image/png": true, "image/gif": true, "image/webp": true}

func secureHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
}

func (d *Deliverer) viewMessage(key string, f *fetch) (found, *mms.Message) {
	fd, ok := d.lookup(key, f)
	switch {
	case !ok:
		return fd, nil
	case fd.test != nil:
		return fd, fd.test.conf
	}
	return fd, d.stored(fd.rec.ID)
}

func (d *Deliverer) serveView(w http.ResponseWriter, r *http.Request, key string) {
	secureHeaders(w)
	f, msg := d.viewMessage(key, fetchOf(r, true))
	if msg == nil {
		http.Error(w, notFoundText, http.StatusNotFound)
		return
	}
	data := struct {
		From, Subject string
		Parts         []viewPart
	}{From: f.rec.FromName, Subject: msg.Subject.Text()}
	if data.From == "" {
		data.From = f.rec.From
	}
	for i := range msg.Parts {
		p := &msg.Parts[i]
		mt := strings.ToLower(p.ContentType.MediaType)
		vp := viewPart{URL: "/v/" + key + "/" + strconv.Itoa(i), Name: safeName(p.Filename()), Type: mt, Size: len(p.Data)}
		switch {
		case mt == mediaSMIL:
			continue
		case mt == "text/plain":
			vp.Text = p.Text()
		case inlineImages[mt]:
			vp.Image = true
		}
		if vp.Name == "" {
			vp.Name = "part" + strconv.Itoa(i+1) + extension(mt)
		}
		data.Parts = append(data.Parts, vp)
	}
	var b bytes.Buffer
	if err := viewPage.Execute(&b, data); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(b.Bytes())
}

func (d *Deliverer) servePart(w http.ResponseWriter, r *http.Request, key string, n int) {
	secureHeaders(w)
	_, msg := d.viewMessage(key, nil) // the page recorded the fetch
	if msg == nil || n >= len(msg.Parts) {
		http.Error(w, notFoundText, http.StatusNotFound)
		return
	}
	p := &msg.Parts[n]
	mt := strings.ToLower(p.ContentType.MediaType)
	if inlineImages[mt] {
		w.Header().Set("Content-Type", mt)
	} else {
		w.Header().Set("Content-Type", "application/octet-stream")
		name := safeName(p.Filename())
		if name == "" {
			name = "part" + strconv.Itoa(n+1) + extension(mt)
		}
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(p.Data)))
	if r.Method != http.MethodHead {
		w.Write(p.Data)
	}
}

// fallbackText is the plain SMS sent with a notification to a phone
// whose carrier may drop WAP push.
func fallbackText(r *Record, link string) string {
	from := r.FromName
	if from == "" {
		from = r.From
	}
	if from == "" {
		from = "someone"
	}
	s := "MMS from " + clipRunes(from, 30)
	if r.Subject != "" {
		s += `: "` + clipRunes(r.Subject, 40) + `"`
	}
	return s + " - view it at " + link
}

func clipRunes(s string, n int) string {
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	return string(rs[:n-3]) + "..."
}
