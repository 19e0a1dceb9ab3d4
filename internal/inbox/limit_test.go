package inbox

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/homemmsc/homemmsc/internal/phones"
)

// TestSetLimit sets a phone's largest message on the phones page, and
// refuses one out of range.
func TestSetLimit(t *testing.T) {
	e := newEnv(t, false)
	e.login()
	mustContain(t, e.get("/phones").Body.String(), `action="/phones/limit"`, `name="kb" type="number" min="30" max="8192" value="600"`)
	if w := e.post("/phones/limit", url.Values{"token": {fixedToken}, "kb": {"300"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("set: %d %s", w.Code, w.Body)
	}
	if p, _ := e.reg.ByToken(fixedToken); p.Limit() != 300<<10 {
		t.Errorf("limit %d, want 300 KB", p.Limit())
	}
	mustContain(t, e.get("/phones").Body.String(), `value="300"`)
	for _, kb := range []string{"10", "9000", "lots"} {
		if w := e.post("/phones/limit", url.Values{"token": {fixedToken}, "kb": {kb}}); w.Code != http.StatusBadRequest {
			t.Errorf("kb=%s: %d", kb, w.Code)
		}
	}
	if w := e.post("/phones/limit", url.Values{"token": {"nosuchtokennosuchtoken"}, "kb": {"500"}}); w.Code != http.StatusNotFound {
		t.Errorf("unknown phone: %d", w.Code)
	}
	if w := e.post("/phones/limit", url.Values{"token": {fixedToken}, "kb": {"600"}}); w.Code != http.StatusSeeOther {
		t.Fatal(w.Code)
	}
	if p, _ := e.reg.ByToken(fixedToken); p.MaxMessage != 0 || p.Limit() != phones.DefaultMaxMessage {
		t.Errorf("the default is stored as %d", p.MaxMessage)
	}
}
