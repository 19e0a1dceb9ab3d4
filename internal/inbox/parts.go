package inbox

import (
	"bytes"
	"image/png"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

// partCSP is sent with every part and original: even if a browser were
// made to render one as a document, it runs nothing and loads nothing.
const partCSP = csp + "; sandbox"

// part serves one part: inline when its type is safe to show
// (kindOf), else, or with ?dl=1, as a download. A download of an unsafe
// type is served as application/octet-stream, so no browser renders it.
func (h *Handler) part(w http.ResponseWriter, r *http.Request) {
	meta, msg, err := h.loadMessage(r.PathValue("id"))
	if err != nil {
		h.storeFail(w, r, err)
		return
	}
	l, ok := findLeaf(meta, msg, r.PathValue("path"))
	if !ok {
		h.fail(w, r, http.StatusNotFound, "No such part.")
		return
	}
	k := kindOf(l.Part.ContentType.MediaType)
	download := r.URL.Query().Get("dl") == "1" || k == kindFile || k == kindSMIL
	data, ctype, name := l.Part.Data, inlineType(l.Part.ContentType.MediaType, k), downloadName(l)
	switch {
	case download:
	case k == kindText:
		data = []byte(l.Part.Text()) // converted from its charset
	case mediaType(l.Part.ContentType.MediaType) == wbmpType:
		if data, err = wbmpToPNG(data); err != nil {
			h.fail(w, r, http.StatusUnprocessableEntity, "This WBMP picture cannot be decoded: download it instead.")
			return
		}
		ctype, name = "image/png", strings.TrimSuffix(name, path.Ext(name))+".png"
	}
	hd := w.Header()
	hd.Set("Content-Security-Policy", partCSP)
	hd.Set("Content-Type", ctype)
	hd.Set("Content-Disposition", disposition(download, name))
	hd.Set("Cache-Control", "private, max-age=86400") // a stored part never changes
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
}

// wbmpToPNG converts an old phone's WBMP picture for the browser.
func wbmpToPNG(data []byte) ([]byte, error) {
	img, err := decodeWBMP(data)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	err = png.Encode(&b, img)
	return b.Bytes(), err
}

// inlineType is the Content-Type a part is served with: its own media
// type (without parameters that could say otherwise) for the safe kinds,
// UTF-8 plain text for text, octet-stream for everything else.
func inlineType(ct string, k kind) string {
	switch k {
	case kindImage, kindAudio, kindVideo:
		return mediaType(ct)
	case kindText:
		return "text/plain; charset=utf-8"
	}
	return "application/octet-stream"
}

// downloadName is the name the part is saved under (nameLeaves).
func downloadName(l leaf) string { return l.File }

func disposition(download bool, name string) string {
	d := "inline"
	if download {
		d = "attachment"
	}
	if v := mime.FormatMediaType(d, map[string]string{"filename": name}); v != "" {
		return v
	}
	return d
}

// original serves the PDU exactly as the phone sent it.
func (h *Handler) original(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	f, err := h.cfg.Store.OpenPDU(id)
	if err != nil {
		h.storeFail(w, r, err)
		return
	}
	defer f.Close()
	hd := w.Header()
	hd.Set("Content-Security-Policy", partCSP)
	hd.Set("Content-Type", "application/vnd.wap.mms-message")
	hd.Set("Content-Disposition", disposition(true, strings.TrimSpace(id)+".mms"))
	http.ServeContent(w, r, "", time.Time{}, f)
}
