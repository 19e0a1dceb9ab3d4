package inbox

import (
	"encoding/json"
	"image/png"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/homemmsc/homemmsc/internal/store"
)

// TestWBMP: an old phone's WBMP picture is shown converted to PNG (and
// still downloads as sent), and gets a thumbnail.
func TestWBMP(t *testing.T) {
	e := newEnv(t, false)
	e.login()
	// 10x2: row 0 white then black, row 1 black then white (two octets a row).
	wbmp := "\x00\x00\x0a\x02\xf8\x00\x07\xc0"
	m := e.put("old phone", anna, part("image/vnd.wap.wbmp", "logo.wbmp", wbmp))
	w := e.get("/m/" + m.ID + "/part/0")
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "image/png" {
		t.Fatalf("WBMP shown as %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	img, err := png.Decode(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 10 || b.Dy() != 2 {
		t.Fatalf("converted to %v", b)
	}
	for _, c := range []struct {
		x, y  int
		white bool
	}{{0, 0, true}, {4, 0, true}, {5, 0, false}, {0, 1, false}, {5, 1, true}, {9, 1, true}} {
		if r, _, _, _ := img.At(c.x, c.y).RGBA(); (r > 0x8000) != c.white {
			t.Errorf("pixel %d,%d: red %#x, want white=%v", c.x, c.y, r, c.white)
		}
	}
	if cd := w.Header().Get("Content-Disposition"); !strings.Contains(cd, "logo.png") {
		t.Errorf("converted picture named %q", cd)
	}
	dl := e.get("/m/" + m.ID + "/part/0?dl=1")
	if dl.Body.String() != wbmp || !strings.Contains(dl.Header().Get("Content-Disposition"), "logo.wbmp") {
		t.Errorf("download: %q %q", dl.Header().Get("Content-Disposition"), dl.Body)
	}
	mustContain(t, e.get("/m/"+m.ID).Body.String(), `<img src="/m/`+m.ID+`/part/0"`)
	if tw := e.get("/m/" + m.ID + "/thumb/0"); tw.Code != http.StatusOK {
		t.Errorf("WBMP thumbnail: %d", tw.Code)
	}
	for _, bad := range []string{"", "\x00\x00", "\x01\x00\x01\x01\x00", "\x00\x00\x0a\x02\xf8", "\x00\x00\xa0\x00\x01\x00"} {
		if _, err := decodeWBMP([]byte(bad)); err == nil {
			t.Errorf("decodeWBMP(%q) accepted", bad)
		}
	}
}

// TestNamesAgree: a part's link is labelled with the name it downloads
// under, which is also its name in the backup zip and in meta.json there;
// a repeated name gets "-2" in all three.
func TestNamesAgree(t *testing.T) {
	e := newEnv(t, false)
	e.login()
	m := e.putTo([]string{"+15557654321"}, "names", anna, pngPart("IMG_6807.png"), pngPart("IMG_6807.png"),
		part("image/svg+xml", "", "<svg/>"))
	body := e.get("/m/" + m.ID).Body.String()
	mustContain(t, body, "download IMG_6807.png", "download IMG_6807-2.png", "download part-03.svg")
	mustNotContain(t, body, ".bin", "TYPE=PLMN")
	for i, want := range []string{"IMG_6807.png", "IMG_6807-2.png", "part-03.svg"} {
		cd := e.get("/m/" + m.ID + "/part/" + strconv.Itoa(i) + "?dl=1").Header().Get("Content-Disposition")
		if !strings.Contains(cd, `filename=`+want) && !strings.Contains(cd, `filename="`+want+`"`) {
			t.Errorf("part %d downloads as %q, want %s", i, cd, want)
		}
	}
	files := unzip(t, e.get("/backup.zip").Body.Bytes())
	var meta store.Meta
	if err := json.Unmarshal(files[m.ID+"/meta.json"], &meta); err != nil {
		t.Fatal(err)
	}
	for _, p := range meta.Parts {
		if _, ok := files[m.ID+"/"+p.File]; !ok {
			t.Errorf("meta.json names %q, which the zip does not hold", p.File)
		}
	}
}
