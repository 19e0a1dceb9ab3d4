package inbox

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"image/jpeg"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/phones"
	"github.com/homemmsc/homemmsc/internal/store"
)

func TestEveryPageHasSecurityHeaders(t *testing.T) {
	e := newEnv(t, false)
	for _, p := range []string{"/login", "/static/style.css"} {
		checkHeaders(t, p, e.get(p))
	}
	e.login()
	m := e.put("hi", anna, pngPart("a.png"), textPart("hello"))
	for _, p := range []string{"/", "/m/" + m.ID, "/m/" + m.ID + "/delete", "/phones", "/status", "/backup", "/m/" + m.ID + "/part/0"} {
		checkHeaders(t, p, e.get(p))
	}
}

func checkHeaders(t *testing.T, p string, w interface{ Result() *http.Response }) {
	t.Helper()
	h := w.Result().Header
	csp := h.Get("Content-Security-Policy")
	for _, d := range []string{"default-src 'none'", "img-src 'self'", "style-src 'self'", "media-src 'self'",
		"form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'"} {
		if !strings.Contains(csp, d) {
			t.Errorf("%s: CSP %q lacks %q", p, csp, d)
		}
	}
	if strings.Contains(csp, "script-src") || strings.Contains(csp, "unsafe") {
		t.Errorf("%s: CSP %q allows script", p, csp)
	}
	if h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("%s: no nosniff", p)
	}
}

func TestList(t *testing.T) {
	e := newEnv(t, false)
	e.login()
	old := e.put("Old news", store.Sender{Number: "+15550001111", Source: "from"}, textPart("old"))
	e.stored.Add(48 * time.Hour)
	e.synced = false
	mid := e.put("Holiday photos", anna, pngPart("beach.png"), pngPart("sea.png"), textPart("look"))
	e.synced = true
	e.stored.Add(time.Hour)
	newest := e.put("", store.Sender{Number: "+33612345678", Source: "query"}, textPart("no subject"))
	if err := e.st.SetSeen(old.ID, true); err != nil {
		t.Fatal(err)
	}
	body := e.get("/messages").Body.String()
	iNew, iMid, iOld := strings.Index(body, newest.ID), strings.Index(body, mid.ID), strings.Index(body, old.ID)
	if iNew < 0 || iMid < 0 || iOld < 0 || iNew > iMid || iMid > iOld {
		t.Errorf("list order: newest %d, middle %d, oldest %d: want newest first", iNew, iMid, iOld)
	}
	// +15550001111 is a paired phone's number, but the message only claims
	// it (its From): shown as the number, marked claimed, never by name.
	mustContain(t, body, "Holiday photos", "Anna", "&#43;15550001111", `class="claimed"`,
		"33612345678", "(no subject)", "2 photos, 1 text",
		`/m/`+mid.ID+`/thumb/0`, `/m/`+mid.ID+`/thumb/1`, `class="unsynced"`, "3 messages")
	mustNotContain(t, body, "Fixed Phone")
	if strings.Count(body, `class="unsynced"`) != 1 {
		t.Errorf("%d unsynced marks, want 1 (only the message stored while the clock was not set)", strings.Count(body, `class="unsynced"`))
	}
	if strings.Count(body, `<li class="new">`) != 2 || strings.Count(body, `<li class="seen">`) != 1 {
		t.Error("want 2 new rows and 1 seen row")
	}
	mustContain(t, body, `<span class="count">2</span>`)
}

func TestListSearch(t *testing.T) {
	e := newEnv(t, false)
	e.login()
	a := e.put("Birthday party", anna, textPart("x"))
	e.stored.Add(72 * time.Hour)
	b := e.put("Shopping list", store.Sender{Number: "+15550001111", Source: "from"}, textPart("y"))
	day := func(m store.Meta) string { return m.Received.Local().Format(dateForm) }
	for _, c := range []struct {
		query      string
		want, lack string
	}{
		{"subject=birthday", a.ID, b.ID},
		{"sender=anna", a.ID, b.ID},
		{"sender=%2B1555000", b.ID, a.ID},
		{"sender=fixed+phone", "No messages match", b.ID}, // b only claims that phone's number
		{"from=" + day(b), b.ID, a.ID},
		{"to=" + day(a), a.ID, b.ID},
		{"from=" + day(a) + "&to=" + day(a), a.ID, b.ID},
		{"new=1&subject=shopping", b.ID, a.ID},
	} {
		body := e.get("/messages?" + c.query).Body.String()
		if !strings.Contains(body, c.want) || strings.Contains(body, c.lack) {
			t.Errorf("?%s: want %s and not %s", c.query, c.want, c.lack)
		}
	}
	body := e.get("/messages?subject=nothing-like-this").Body.String()
	mustContain(t, body, "No messages match")
}

func TestListPaging(t *testing.T) {
	e := newEnv(t, false)
	e.h.cfg.PageSize = 2
	e.login()
	var ids []string
	for i := range 5 {
		ids = append(ids, e.put("m"+string(rune('a'+i)), anna, textPart("x")).ID)
	}
	p1 := e.get("/messages").Body.String()
	mustContain(t, p1, ids[4], ids[3], "page 1 of 3", `href="/messages?page=2"`)
	mustNotContain(t, p1, ids[2], "rel=\"prev\"")
	p3 := e.get("/messages?page=3").Body.String()
	mustContain(t, p3, ids[0], `href="/messages?page=2"`)
	mustNotContain(t, p3, ids[1], `rel="next"`)
	all := e.get("/messages?n=10").Body.String()
	for _, id := range ids {
		mustContain(t, all, id)
	}
	filtered := e.get("/messages?subject=m&page=2").Body.String()
	mustContain(t, filtered, `href="/messages?page=3&amp;subject=m"`, `href="/messages?subject=m"`)
}

// smilDoc orders the text before the image, the reverse of the PDU.
const smilDoc = `<smil><head><layout/></head><body>
<par dur="5s"><text src="cid:text1"/></par>
<par dur="5s"><img src="beach.png"/><audio src="cid:snd"/></par>
</body></smil>`

func richMessage(e *env) store.Meta {
	latin1 := mms.Part{ContentType: mms.ContentType{MediaType: "text/plain", Params: []mms.Param{{Name: "charset", Value: "iso-8859-1"}}},
		ContentID: "<text1>", Data: []byte("Gr\xfc\xdfe aus K\xf6ln")}
	snd := part("audio/amr", "voice.amr", "#!AMR\n\x00\x00")
	snd.ContentID = "<snd>"
	return e.put("Rich", anna,
		part("application/smil", "pres.smil", smilDoc),
		pngPart("beach.png"),
		snd,
		part("video/3gpp", "clip.3gp", "\x00\x00\x00\x18ftyp3gp4"),
		latin1,
		part("text/x-vcard", "anna.vcf", "BEGIN:VCARD\r\nFN:Anna\r\nEND:VCARD\r\n"),
		part("application/pdf", "doc.pdf", "%PDF-1.4"),
		mms.Part{ContentType: mms.ContentType{MediaType: "application/vnd.wap.multipart.alternative"},
			Parts: []mms.Part{textPart("nested text"), part("text/html", "alt.html", "<b>nested</b>")}},
	)
}

func TestMessagePage(t *testing.T) {
	e := newEnv(t, false)
	e.login()
	m := richMessage(e)
	if e.st.Stats().New != 1 {
		t.Fatal("want the message new before opening it")
	}
	w := e.get("/m/" + m.ID)
	if w.Code != http.StatusOK {
		t.Fatalf("GET message: %d", w.Code)
	}
	body := w.Body.String()
	mustContain(t, body,
		"Grüße aus Köln", // latin-1 decoded
		`<img src="/m/`+m.ID+`/part/1"`,
		`<audio controls preload="none" src="/m/`+m.ID+`/part/2"`,
		`<video controls preload="metadata" src="/m/`+m.ID+`/part/3"`,
		"anna.vcf", "doc.pdf", "pres.smil", "nested text", "alt.html",
		"/m/"+m.ID+"/original", "Mark as new", "/m/"+m.ID+"/delete", "presentation (SMIL)")
	// The SMIL order: text, image, audio, then the rest in PDU order.
	order := []string{"Grüße aus Köln", `/part/1"`, `/part/2"`, `/part/0?dl=1`, `/part/3"`}
	last := -1
	for _, s := range order {
		i := strings.Index(body, s)
		if i < last {
			t.Errorf("%q at %d comes before the previous part (%d): SMIL order not honoured", s, i, last)
		}
		last = i
	}
	// Every part is there: 9 leaves (7 top-level, the multipart's two entries instead of it).
	if n := strings.Count(body, `class="partinfo"`); n != 9 {
		t.Errorf("%d parts shown, want 9", n)
	}
	mustNotContain(t, body, "<b>nested</b>", "<iframe")
	if st := e.st.Stats(); st.New != 0 {
		t.Errorf("opening the message left New = %d: the store's seen state (the OLED's) did not change", st.New)
	}
}

func TestPartServing(t *testing.T) {
	e := newEnv(t, false)
	e.login()
	m := richMessage(e)
	svg := e.put("svg", anna, part("image/svg+xml", "evil.svg", `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`),
		part("text/html", "page.html", "<script>alert(1)</script>"))
	for _, c := range []struct {
		path, ctype, disp string
		body              string
	}{
		{"/m/" + m.ID + "/part/1", "image/png", "inline", ""},
		{"/m/" + m.ID + "/part/1?dl=1", "image/png", "attachment", ""},
		{"/m/" + m.ID + "/part/2", "audio/amr", "inline", "#!AMR\n\x00\x00"},
		{"/m/" + m.ID + "/part/4", "text/plain; charset=utf-8", "inline", "Grüße aus Köln"},
		{"/m/" + m.ID + "/part/4?dl=1", "text/plain; charset=utf-8", "attachment", "Gr\xfc\xdfe aus K\xf6ln"},
		{"/m/" + m.ID + "/part/5", "application/octet-stream", "attachment", "BEGIN:VCARD\r\nFN:Anna\r\nEND:VCARD\r\n"},
		{"/m/" + m.ID + "/part/7.1", "application/octet-stream", "attachment", "<b>nested</b>"},
		{"/m/" + svg.ID + "/part/0", "application/octet-stream", "attachment", ""},
		{"/m/" + svg.ID + "/part/1", "application/octet-stream", "attachment", ""},
	} {
		w := e.get(c.path)
		h := w.Result().Header
		if w.Code != http.StatusOK || h.Get("Content-Type") != c.ctype || !strings.HasPrefix(h.Get("Content-Disposition"), c.disp) {
			t.Errorf("%s: %d %q %q, want %q %q", c.path, w.Code, h.Get("Content-Type"), h.Get("Content-Disposition"), c.ctype, c.disp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
			t.Errorf("%s: headers %v", c.path, h)
		}
		if c.body != "" && w.Body.String() != c.body {
			t.Errorf("%s: body %q, want %q", c.path, w.Body, c.body)
		}
	}
	if w := e.get("/m/" + m.ID + "/part/99"); w.Code != http.StatusNotFound {
		t.Errorf("missing part: %d", w.Code)
	}
	if w := e.get("/m/20260101-000000-999999/part/0"); w.Code != http.StatusNotFound {
		t.Errorf("missing message: %d", w.Code)
	}
	if w := e.get("/m/..%2f..%2fetc/part/0"); w.Code != http.StatusNotFound {
		t.Errorf("bad id: %d", w.Code)
	}
	// A range request (what <video> makes) gets a partial answer.
	r, _ := http.NewRequest("GET", "/m/"+m.ID+"/part/3", nil)
	r.Header.Set("Range", "bytes=4-7")
	if w := e.do(r); w.Code != http.StatusPartialContent || w.Body.String() != "ftyp" {
		t.Errorf("range: %d %q", w.Code, w.Body)
	}
}

func TestOriginal(t *testing.T) {
	e := newEnv(t, false)
	e.login()
	m := e.put("orig", anna, textPart("hello"))
	w := e.get("/m/" + m.ID + "/original")
	f, _ := e.st.OpenPDU(m.ID)
	want, _ := io.ReadAll(f)
	f.Close()
	if w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), want) {
		t.Fatalf("original: %d, %d bytes, want the %d stored", w.Code, w.Body.Len(), len(want))
	}
	if cd := w.Header().Get("Content-Disposition"); cd != `attachment; filename=`+m.ID+`.mms` {
		t.Errorf("Content-Disposition %q", cd)
	}
}

func TestSeenAndNew(t *testing.T) {
	e := newEnv(t, false)
	e.login()
	m := e.put("s", anna, textPart("x"))
	e.get("/m/" + m.ID)
	if got, _ := e.st.Get(m.ID); !got.Seen {
		t.Fatal("not seen after opening")
	}
	if w := e.post("/m/"+m.ID+"/seen", url.Values{"seen": {"0"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("mark new: %d", w.Code)
	}
	if got, _ := e.st.Get(m.ID); got.Seen {
		t.Error("still seen after Mark as new")
	}
	e.put("t", anna, textPart("y"))
	if w := e.post("/seen-all", nil); w.Code != http.StatusSeeOther || e.st.Stats().New != 0 {
		t.Errorf("mark all seen: %d, New %d", w.Code, e.st.Stats().New)
	}
}

func TestDelete(t *testing.T) {
	e := newEnv(t, false)
	e.login()
	m := e.put("Bye", anna, pngPart("p.png"))
	if w := e.get("/m/" + m.ID + "/thumb/0"); w.Code != http.StatusOK {
		t.Fatalf("thumb: %d", w.Code)
	}
	body := e.get("/m/" + m.ID + "/delete").Body.String()
	mustContain(t, body, "Delete this message?", "Bye", `action="/m/`+m.ID+`/delete"`, "Cancel")
	if _, ok := e.st.Get(m.ID); !ok {
		t.Fatal("the confirmation page deleted the message")
	}
	if w := e.post("/m/"+m.ID+"/delete", nil); w.Code != http.StatusSeeOther {
		t.Fatalf("delete: %d", w.Code)
	}
	if _, ok := e.st.Get(m.ID); ok {
		t.Error("message still in the store")
	}
	if w := e.get("/m/" + m.ID); w.Code != http.StatusNotFound {
		t.Errorf("deleted message page: %d", w.Code)
	}
	thumb := filepath.Join(e.dir, "inbox", "thumbs", m.ID+"-0.jpg")
	for i := 0; i < 200; i++ { // removed by a goroutine the Delete event starts
		if _, err := os.Stat(thumb); os.IsNotExist(err) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Error("the thumbnail outlived its message")
}

func TestThumbnails(t *testing.T) {
	e := newEnv(t, false)
	e.login()
	m := e.put("pic", anna, pngPart("p.png"), part("image/png", "broken.png", "not a png"), part("image/svg+xml", "x.svg", "<svg/>"))
	if ents, _ := os.ReadDir(filepath.Join(e.dir, "inbox", "thumbs")); len(ents) != 0 {
		t.Fatalf("storing a message made %d thumbnail files: receiving must not make thumbnails", len(ents))
	}
	if e.get("/").Code != http.StatusOK {
		t.Fatal("list")
	}
	if ents, _ := os.ReadDir(filepath.Join(e.dir, "inbox", "thumbs")); len(ents) != 0 {
		t.Fatalf("rendering the list made %d thumbnail files: they are made when the browser asks", len(ents))
	}
	w := e.get("/m/" + m.ID + "/thumb/0")
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "image/jpeg" {
		t.Fatalf("thumb: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	img, err := jpeg.Decode(bytes.NewReader(w.Body.Bytes()))
	if err != nil || img.Bounds().Dx() != thumbBox || img.Bounds().Dy() != 100 {
		t.Fatalf("thumbnail %v, %v: want %dx100", img.Bounds(), err, thumbBox)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "inbox", "thumbs", m.ID+"-0.jpg")); err != nil {
		t.Errorf("not cached: %v", err)
	}
	for _, p := range []string{"1", "2", "9", "x"} {
		if w := e.get("/m/" + m.ID + "/thumb/" + p); w.Code != http.StatusNotFound {
			t.Errorf("thumb of part %s: %d", p, w.Code)
		}
	}
	if _, err := os.Stat(filepath.Join(e.dir, "inbox", "thumbs", m.ID+"-1.none")); err != nil {
		t.Errorf("undecodable part not remembered: %v", err)
	}
}

func TestXSS(t *testing.T) {
	e := newEnv(t, false)
	e.login()
	const evil = `<script>alert(1)</script>`
	m := e.put(evil+`"><img src=x onerror=alert(2)>`,
		store.Sender{Number: "+15557654321", Name: `<img src=x onerror=alert(3)>`, Source: "from"},
		part("image/png", `"><script>alert(4)</script>.png`, "x"),
		part("image/svg+xml", "pic.svg", `<svg xmlns="http://www.w3.org/2000/svg" onload="alert(5)"><script>alert(6)</script></svg>`),
		part("text/plain", "t.txt", evil),
	)
	for _, p := range []string{"/", "/m/" + m.ID, "/m/" + m.ID + "/delete", "/messages?subject=" + url.QueryEscape(evil)} {
		body := e.get(p).Body.String()
		mustNotContain(t, body, "<script>", "<img src=x", "<svg")
		if p == "/m/"+m.ID {
			mustContain(t, body, "&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;script&gt;alert(4)&lt;/script&gt;.png")
			mustNotContain(t, body, "alert(3)") // a claimed sender's stored name is not shown at all
			if strings.Contains(body, `<img src="/m/`+m.ID+`/part/1"`) {
				t.Error("the SVG part is shown inline")
			}
		}
	}
	w := e.get("/m/" + m.ID + "/part/1")
	if w.Header().Get("Content-Type") != "application/octet-stream" || !strings.HasPrefix(w.Header().Get("Content-Disposition"), "attachment") {
		t.Errorf("SVG served as %q %q", w.Header().Get("Content-Type"), w.Header().Get("Content-Disposition"))
	}
	w = e.get("/m/" + m.ID + "/part/0?dl=1")
	if cd := w.Header().Get("Content-Disposition"); strings.ContainsAny(strings.TrimPrefix(cd, "attachment; "), "<>\n") && !strings.Contains(cd, "filename*=") {
		t.Errorf("download name not encoded: %q", cd)
	}
}

func TestPhonesPage(t *testing.T) {
	e := newEnv(t, false)
	e.login()
	body := e.get("/phones").Body.String()
	mustContain(t, body, "Fixed Phone", "http://203.0.113.9:8080/mms/fixedtokenfixedtokenfixedtoken00", "from the -phones setting", "No request from this phone yet")
	mustNotContain(t, body, `/phones/remove`) // no remove button for the -phones entry
	w := e.post("/phones/add", url.Values{"name": {"Bob's <b>phone</b>"}, "number": {"07700 900456x"}})
	if w.Code != http.StatusBadRequest {
		t.Errorf("bad number: %d", w.Code)
	}
	w = e.post("/phones/add", url.Values{"name": {"Bob's <b>phone</b>"}, "number": {"+44 7700 900456"}})
	// Post/Redirect/Get: the answer is a redirect to a page that can be
	// reloaded, which names the number, never the token.
	if loc := w.Header().Get("Location"); w.Code != http.StatusSeeOther || loc != "/phones?added=%2B447700900456" {
		t.Fatalf("add: %d to %q", w.Code, loc)
	}
	var bob phones.Phone
	for _, p := range e.reg.List() {
		if p.Number == "+447700900456" {
			bob = p
		}
	}
	if bob.Token == "" {
		t.Fatalf("phone not in the registry: %+v", e.reg.List())
	}
	body = e.get(w.Header().Get("Location")).Body.String()
	mustContain(t, body, `class="notice"`, "is paired", "http://203.0.113.9:8080/mms/"+bob.Token, `src="/phones/qr/`+bob.Token+`"`, "Bob&#39;s &lt;b&gt;phone&lt;/b&gt;")
	again := e.get(w.Header().Get("Location")).Body.String() // a reload: the phone, no second notice, no error
	mustContain(t, again, "is paired", `src="/phones/qr/`+bob.Token+`"`)
	mustNotContain(t, again, `class="notice"`, `class="error"`)
	for _, p := range []string{"/phones/add", "/phones/remove", "/phones/fallback", "/phones/test"} {
		if w := e.get(p); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/phones" {
			t.Errorf("GET %s: %d to %q, want the phones page", p, w.Code, w.Header().Get("Location"))
		}
	}
	qr := e.get("/phones/qr/" + bob.Token)
	if qr.Code != http.StatusOK || qr.Header().Get("Content-Type") != "image/png" || !bytes.HasPrefix(qr.Body.Bytes(), []byte("\x89PNG")) {
		t.Errorf("QR: %d %q", qr.Code, qr.Header().Get("Content-Type"))
	}
	if w := e.get("/phones/qr/nosuchtoken"); w.Code != http.StatusNotFound {
		t.Errorf("QR of an unknown token: %d", w.Code)
	}
	e.reg.Saw(bob.Token, phones.Visit{Time: e.clock.Now(), Remote: "198.51.100.4:33000", UserAgent: "SAMSUNG-SGH-E250/<x>",
		Profile: "http://wap.samsungmobile.com/uaprof/e250.xml", What: "send"})
	body = e.get("/phones").Body.String()
	mustContain(t, body, "198.51.100.4:33000", "SAMSUNG-SGH-E250/&lt;x&gt;", "http://wap.samsungmobile.com/uaprof/e250.xml", "(send)")
	if w := e.post("/phones/remove", url.Values{"token": {"fixedtokenfixedtokenfixedtoken00"}}); w.Code != http.StatusConflict {
		t.Errorf("removing a fixed phone: %d", w.Code)
	}
	mustContain(t, body, `href="/phones/remove?number=%2b447700900456"`)
	confirm := e.get("/phones/remove?number=%2b447700900456").Body.String()
	mustContain(t, confirm, "Remove Bob&#39;s &lt;b&gt;phone&lt;/b&gt;?", `action="/phones/remove"`, `value="`+bob.Token+`"`)
	if _, ok := e.reg.ByToken(bob.Token); !ok {
		t.Error("asking to remove the phone removed it")
	}
	if w := e.get("/phones/remove?number=%2B15550001111"); w.Code != http.StatusNotFound {
		t.Errorf("confirming the removal of a -phones entry: %d", w.Code)
	}
	if w := e.post("/phones/remove", url.Values{"token": {bob.Token}}); w.Code != http.StatusSeeOther {
		t.Errorf("remove: %d", w.Code)
	}
	if _, ok := e.reg.ByToken(bob.Token); ok {
		t.Error("phone still paired")
	}
	mustContain(t, e.get("/phones").Body.String(), `class="notice"`, "was removed")
	if w := e.post("/phones/remove", url.Values{"token": {bob.Token}}); w.Code != http.StatusNotFound {
		t.Errorf("removing again: %d", w.Code)
	}
}

func TestStatusPage(t *testing.T) {
	e := newEnv(t, false)
	e.login()
	e.put("x", anna, textPart("y"))
	e.clock.Add(26*time.Hour + 5*time.Minute)
	e.login() // the session ended meanwhile
	body := e.get("/status").Body.String()
	mustContain(t, body, "v-test", "1 d 2 h 5 min", "1 (1 new)", "Store size", "Free disk",
		"Modem", "registered, 3 bars", `<tr class="bad"><th>Outbox</th><td>2</td>`)
}

func TestBackup(t *testing.T) {
	e := newEnv(t, false)
	e.login()
	first := e.put("First", anna, pngPart("../../etc/passwd"), textPart("hello"), part("text/plain", "hello", "dup name"), part("text/plain", "hello", "dup again"))
	e.stored.Add(72 * time.Hour)
	second := e.put("Second", anna, part("text/x-vcard", "", "BEGIN:VCARD"))
	if body := e.get("/backup").Body.String(); !strings.Contains(body, "2 messages") {
		t.Error("backup page lacks the count")
	}
	w := e.get("/backup.zip")
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/zip" {
		t.Fatalf("backup: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	files := unzip(t, w.Body.Bytes())
	f, _ := e.st.OpenPDU(first.ID)
	pdu, _ := io.ReadAll(f)
	f.Close()
	if !bytes.Equal(files[first.ID+"/message.mms"], pdu) {
		t.Error("message.mms differs from the stored PDU")
	}
	var meta store.Meta
	if err := json.Unmarshal(files[first.ID+"/meta.json"], &meta); err != nil || meta.Subject != "First" || len(meta.Parts) != 4 {
		t.Errorf("meta.json: %v %+v", err, meta)
	}
	for _, name := range []string{"README.txt", first.ID + "/passwd", first.ID + "/text1.txt", first.ID + "/hello", first.ID + "/hello-2",
		second.ID + "/part-01.vcf", second.ID + "/message.mms"} {
		if _, ok := files[name]; !ok {
			t.Errorf("zip lacks %s; has %v", name, keys(files))
		}
	}
	if string(files[first.ID+"/hello-2"]) != "dup again" {
		t.Errorf("hello-2 holds %q", files[first.ID+"/hello-2"])
	}
	for name := range files {
		if strings.Contains(name, "..") || strings.HasPrefix(name, "/") {
			t.Errorf("unsafe name in zip: %q", name)
		}
	}
	day := second.Received.Local().Format(dateForm)
	ranged := unzip(t, e.get("/backup.zip?from="+day).Body.Bytes())
	if _, ok := ranged[second.ID+"/message.mms"]; !ok {
		t.Error("date range lacks the second message")
	}
	if _, ok := ranged[first.ID+"/message.mms"]; ok {
		t.Error("date range holds the first message")
	}
}

func unzip(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	return out
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestSafeName(t *testing.T) {
	for in, want := range map[string]string{
		"photo.jpg": "photo.jpg", "../../etc/passwd": "passwd", `C:\x\y.png`: "y.png", "..hidden": "hidden",
		"a\x00b\nc.txt": "a_b_c.txt", "": "", "..": "", strings.Repeat("é", 80): strings.Repeat("é", 50),
		`<x>:"|?*.txt`: "_x______.txt",
	} {
		if got := safeName(in); got != want {
			t.Errorf("safeName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestBackupOverHTTP runs the backup through a real server, whose
// ResponseWriter supports the per-message write deadline.
func TestBackupOverHTTP(t *testing.T) {
	e := newEnv(t, false)
	e.login()
	m := e.put("over http", anna, pngPart("p.png"))
	srv := httptest.NewServer(e.h)
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/backup.zip", nil)
	req.AddCookie(e.cookie)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if files := unzip(t, b); len(files[m.ID+"/p.png"]) == 0 {
		t.Errorf("zip over HTTP lacks the part: %v", keys(files))
	}
}

// After a Resync (deletions dropped from a full queue) the thumbnails of
// messages no longer stored go; those of stored messages and other files
// stay.
func TestThumbnailSweep(t *testing.T) {
	e := newEnv(t, false)
	m := e.put("pic", anna, pngPart("p.png"))
	dir := filepath.Join(e.dir, "inbox", "thumbs")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	kept, gone, other := filepath.Join(dir, m.ID+"-0.jpg"), filepath.Join(dir, "20260101-000000-999999-0.jpg"), filepath.Join(dir, "notes.txt")
	for _, p := range []string{kept, gone, other} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	e.h.thumbs.sweep()
	for p, want := range map[string]bool{kept: true, gone: false, other: true} {
		if _, err := os.Stat(p); (err == nil) != want {
			t.Errorf("%s: exists %v, want %v", filepath.Base(p), err == nil, want)
		}
	}
}
