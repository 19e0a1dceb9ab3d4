package deliver

import (
	"crypto/rand"
	"net/http"
	"strings"
	"testing"

	"github.com/homemmsc/homemmsc/internal/mms"
)

// Wrong keys of every shape get the same answer as a gone message: an
// M-Retrieve.conf with message-not-found, HTTP 200, no redirect.
func TestWrongKeys(t *testing.T) {
	e := newEnv(t)
	e.put(sendReq(nil))
	e.drain()
	loc := e.pusher.pushes(t, numB)[0].ContentLocation
	key := loc[strings.LastIndex(loc, "/")+1:]
	if len(key) != KeyLen {
		t.Fatalf("key %q has %d characters, want %d", key, len(key), KeyLen)
	}
	flip := []byte(key)
	flip[len(flip)-1] ^= 1
	wrong := []string{
		"", "a", key[:KeyLen-1], key + "a", strings.ToUpper(key), string(flip),
		strings.Repeat("a", KeyLen), strings.Repeat("z", 10000), "../../etc/passwd", "%00",
	}
	for range 100 {
		k, _ := newKey(rand.Reader)
		wrong = append(wrong, k)
	}
	for _, k := range wrong {
		w := e.get("/m/" + k)
		if w.Code != http.StatusOK || w.Header().Get("Location") != "" {
			t.Errorf("key %.40q: HTTP %d location %q", k, w.Code, w.Header().Get("Location"))
			continue
		}
		m, err := mms.Decode(w.Body.Bytes())
		if err != nil {
			t.Fatalf("key %.40q: %v", k, err)
		}
		checkNotFound(t, m)
		if v := e.get("/v/" + k); v.Code != http.StatusNotFound {
			t.Errorf("view of key %.40q: HTTP %d", k, v.Code)
		}
	}
	if m := e.retrieve(loc); m.RetrieveStatus != 0 {
		t.Errorf("the right key: status 0x%02X", m.RetrieveStatus)
	}
}

// Keys are 128 random bits: 1000 of them are distinct and use the whole
// alphabet.
func TestKeys(t *testing.T) {
	seen := map[string]bool{}
	chars := map[rune]bool{}
	for range 1000 {
		k, err := newKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if len(k) != KeyLen || seen[k] {
			t.Fatalf("key %q: length %d or repeated", k, len(k))
		}
		seen[k] = true
		for _, c := range k {
			chars[c] = true
		}
	}
	if len(chars) != 32 {
		t.Errorf("%d distinct characters in 1000 keys, want 32", len(chars))
	}
}

// The M-Retrieve.conf of a sloppy M-Send.req is made strict: start and
// type name the SMIL part's Content-ID exactly, every part has a
// Content-Location, the Latin-1 subject becomes UTF-8, From is the real
// sender, Bcc is not passed on, and the data stay byte for byte.
func TestRetrieveConfStrict(t *testing.T) {
	req := sendReq(func(m *mms.Message) {
		m.ContentType.Params = []mms.Param{{Name: "start", Value: "<nope>"}}
		m.Parts[0].ContentID = "smil1" // no <>
		m.Parts[1].ContentLocation = ""
		m.Parts[2].ContentLocation = ""
		m.Parts[2].ContentType.Params = []mms.Param{{Name: "name", Value: "../x/Cat photo.jpg"}}
		m.Subject = mms.EncodedString{Charset: mms.CharsetLatin1, Raw: []byte("Gr\xfc\xdfe")}
		m.Bcc = []mms.Address{mms.PLMN("+15559990009")}
	})
	pdu, err := retrieveConf(req, numA, "htid", "20261126-200000-000001", t0).Encode()
	if err != nil {
		t.Fatal(err)
	}
	// Message-Type, Transaction-Id, MMS-Version come first, in order.
	if want := append([]byte{0x8C, 0x84, 0x98}, "htid\x00\x8D\x92"...); string(pdu[:len(want)]) != string(want) {
		t.Errorf("PDU starts % X, want % X", pdu[:len(want)], want)
	}
	c, err := mms.Decode(pdu)
	if err != nil {
		t.Fatal(err)
	}
	start, _ := c.ContentType.Param("start")
	typ, _ := c.ContentType.Param("type")
	if start != "<smil1>" || c.Parts[0].ContentID != start || typ != mediaSMIL || c.ContentType.MediaType != mediaRelated {
		t.Errorf("content type %+v, SMIL Content-ID %q", c.ContentType, c.Parts[0].ContentID)
	}
	for i, p := range c.Parts {
		if p.ContentLocation == "" || strings.ContainsAny(p.ContentLocation, "/ ") {
			t.Errorf("part %d Content-Location %q", i, p.ContentLocation)
		}
	}
	if c.Parts[2].ContentLocation != "Catphoto.jpg" {
		t.Errorf("image Content-Location %q", c.Parts[2].ContentLocation)
	}
	if c.Subject.Charset != mms.CharsetUTF8 || c.Subject.Text() != "Grüße" {
		t.Errorf("subject %v %q, want UTF-8 Grüße", c.Subject.Charset, c.Subject.Raw)
	}
	if c.From.String() != numA+"/TYPE=PLMN" || len(c.Bcc) != 0 || c.RetrieveStatus != 0 {
		t.Errorf("From %q Bcc %v retrieve status 0x%02X", c.From.String(), c.Bcc, c.RetrieveStatus)
	}
	samePartData(t, c.Parts, req.Parts)
	if req.Parts[1].ContentLocation != "" {
		t.Errorf("the request's parts were modified")
	}
}

// Without a SMIL part, related becomes mixed: there is no start to name.
func TestRetrieveConfNoSMIL(t *testing.T) {
	req := sendReq(func(m *mms.Message) { m.Parts = m.Parts[1:] })
	c := retrieveConf(req, numA, "htid", "id", t0)
	if c.ContentType.MediaType != mediaMixed || len(c.ContentType.Params) != 0 {
		t.Errorf("content type %+v, want multipart.mixed without start/type", c.ContentType)
	}
}

// An unknown sender gets no From at all rather than the insert token.
func TestRetrieveConfAnonymous(t *testing.T) {
	c := retrieveConf(sendReq(nil), "", "htid", "id", t0)
	if c.From.Insert || c.From.Value.Raw != nil {
		t.Errorf("From %+v for an unknown sender", c.From)
	}
}
