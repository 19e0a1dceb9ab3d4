package inbox

import (
	"encoding/xml"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/store"
)

// TestBackupXML downloads the SMS Backup & Restore file from the backup
// page's link: every message (or the date range), named after the paired
// phone. internal/smsxml checks the file against the schema.
func TestBackupXML(t *testing.T) {
	e := newEnv(t, false)
	e.login()
	paired := store.Sender{Number: "+15550001111", Source: "token"} // newEnv's Fixed Phone
	first := e.put("First", paired, textPart("hello"))
	e.stored.Add(72 * time.Hour)
	second := e.put("Second", anna, textPart("again"))
	if body := e.get("/backup").Body.String(); !strings.Contains(body, `action="/backup.xml"`) {
		t.Error("the backup page has no form for the XML backup")
	}
	type file struct {
		Count int `xml:"count,attr"`
		MMS   []struct {
			ID      string `xml:"m_id,attr"`
			Contact string `xml:"contact_name,attr"`
		} `xml:"mms"`
	}
	get := func(path string) file {
		w := e.get(path)
		if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/xml") ||
			!strings.Contains(w.Header().Get("Content-Disposition"), "attachment") {
			t.Fatalf("%s: %d %q %q", path, w.Code, w.Header().Get("Content-Type"), w.Header().Get("Content-Disposition"))
		}
		var f file
		if err := xml.Unmarshal(w.Body.Bytes(), &f); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return f
	}
	all := get("/backup.xml")
	if all.Count != 2 || len(all.MMS) != 2 || all.MMS[0].ID != first.ID || all.MMS[1].ID != second.ID {
		t.Fatalf("all: %+v", all)
	}
	if all.MMS[0].Contact != "Fixed Phone" || all.MMS[1].Contact != "Anna" {
		t.Errorf("contact_name %q, %q; want the paired phone's name, else the recorded one", all.MMS[0].Contact, all.MMS[1].Contact)
	}
	day := second.Received.Local().Format(dateForm)
	if r := get("/backup.xml?from=" + day); r.Count != 1 || len(r.MMS) != 1 || r.MMS[0].ID != second.ID {
		t.Errorf("from %s: %+v", day, r)
	}
}
