package inbox

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/store"
	"github.com/homemmsc/homemmsc/internal/testcorpus"
)

// loadCorpus stores every corpus PDU that decodes and carries content
// (M-Send.req and M-Retrieve.conf) and returns their metadata.
func loadCorpus(tb testing.TB, st *store.Store) []store.Meta {
	tb.Helper()
	dir := testcorpus.Dir(tb, "mms")
	names, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		tb.Fatal(err)
	}
	var out []store.Meta
	for _, name := range names {
		pdu, err := os.ReadFile(name)
		if err != nil {
			tb.Fatal(err)
		}
		msg, err := mms.Decode(pdu)
		if err != nil || (len(msg.Parts) == 0 && len(msg.Body) == 0) {
			continue
		}
		m, err := st.Put(store.Incoming{PDU: pdu, Msg: msg, Sender: store.Sender{Number: "+15550001111", Source: "from"}})
		if err != nil {
			tb.Fatalf("%s: %v", filepath.Base(name), err)
		}
		out = append(out, m)
	}
	if len(out) < 10 {
		tb.Fatalf("only %d corpus messages with content", len(out))
	}
	return out
}

var partLink = regexp.MustCompile(`href="(/m/[0-9-]+/part/[0-9.a-z]+)\?dl=1"`)

// TestCorpusMessages opens every real message of the corpus: each page
// renders, lists a download for every part, and every part serves.
func TestCorpusMessages(t *testing.T) {
	e := newEnv(t, false)
	e.login()
	metas := loadCorpus(t, e.st)
	if w := e.get("/messages?n=1000"); w.Code != http.StatusOK || strings.Count(w.Body.String(), "<li class=") != len(metas) {
		t.Fatalf("list: %d, want %d rows", w.Code, len(metas))
	}
	images := 0
	for _, m := range metas {
		w := e.get("/m/" + m.ID)
		if w.Code != http.StatusOK {
			t.Errorf("%s: %d", m.ID, w.Code)
			continue
		}
		links := partLink.FindAllStringSubmatch(w.Body.String(), -1)
		if len(links) < len(m.Parts) {
			t.Errorf("%s: %d part links for %d parts", m.ID, len(links), len(m.Parts))
		}
		for _, l := range links {
			if pw := e.get(l[1] + "?dl=1"); pw.Code != http.StatusOK {
				t.Errorf("%s: %d", l[1], pw.Code)
			}
		}
		for _, p := range m.Parts {
			if !thumbable(p.ContentType) {
				continue
			}
			images++
			if tw := e.get("/m/" + m.ID + "/thumb/" + strconv.Itoa(p.Index)); tw.Code != http.StatusOK && tw.Code != http.StatusNotFound {
				t.Errorf("thumb %s/%d: %d", m.ID, p.Index, tw.Code)
			}
		}
	}
	if images == 0 {
		t.Error("no image in the corpus messages")
	}
}
