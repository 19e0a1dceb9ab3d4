package smsxml

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/faketime"
	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/store"
	"github.com/homemmsc/homemmsc/internal/testcorpus"
)

// The file as encoding/xml reads it back, for the checks below.
type backup struct {
	Count int       `xml:"count,attr"`
	MMS   []mmsElem `xml:"mms"`
}

type mmsElem struct {
	Date    int64      `xml:"date,attr"`
	Address string     `xml:"address,attr"`
	MID     string     `xml:"m_id,attr"`
	Sub     string     `xml:"sub,attr"`
	Read    string     `xml:"read,attr"`
	Contact string     `xml:"contact_name,attr"`
	Parts   []partElem `xml:"parts>part"`
	Addrs   []addrElem `xml:"addrs>addr"`
}

type partElem struct {
	Seq  int    `xml:"seq,attr"`
	CT   string `xml:"ct,attr"`
	CID  string `xml:"cid,attr"`
	CL   string `xml:"cl,attr"`
	Text string `xml:"text,attr"`
	Data string `xml:"data,attr"`
}

type addrElem struct {
	Address string `xml:"address,attr"`
	Type    int    `xml:"type,attr"`
}

type env struct {
	st    *store.Store
	dir   string
	clock *faketime.Fake
}

func newEnv(t testing.TB) *env {
	t.Helper()
	c := faketime.New(time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC))
	dir := t.TempDir()
	st, err := store.Open(store.Config{Dir: dir, MinFree: -1, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &env{st: st, dir: dir, clock: c}
}

func (e *env) put(t testing.TB, msg *mms.Message, sender string) store.Meta {
	t.Helper()
	pdu, err := msg.Encode()
	if err != nil {
		t.Fatal(err)
	}
	msg, err = mms.Decode(pdu)
	if err != nil {
		t.Fatal(err)
	}
	m, err := e.st.Put(store.Incoming{PDU: pdu, Msg: msg, Sender: store.Sender{Number: sender, Source: "token"}})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// loadCorpus stores every real corpus PDU that carries content.
func (e *env) loadCorpus(t testing.TB) []store.Meta {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(testcorpus.Dir(t, "mms"), "*"))
	if err != nil {
		t.Fatal(err)
	}
	var out []store.Meta
	for _, name := range names {
		pdu, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := mms.Decode(pdu)
		if err != nil || len(msg.Parts) == 0 {
			continue
		}
		m, err := e.st.Put(store.Incoming{PDU: pdu, Msg: msg, Sender: store.Sender{Number: "+15550001111", Source: "from"}})
		if err != nil {
			t.Fatalf("%s: %v", filepath.Base(name), err)
		}
		out = append(out, m)
		e.clock.Add(time.Minute)
	}
	if len(out) < 10 {
		t.Fatalf("only %d corpus messages with parts", len(out))
	}
	return out
}

// xmllint validates doc against the schema in testdata with libxml2's
// XML Schema validator.
func xmllint(t *testing.T, doc []byte) {
	t.Helper()
	bin, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("xmllint not installed (libxml2-utils); CI must have it")
		}
		t.Skip("xmllint not installed (apt-get install libxml2-utils); CI runs this")
	}
	f := filepath.Join(t.TempDir(), "backup.xml")
	if err := os.WriteFile(f, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "--noout", "--schema", "testdata/sms-backup-restore.xsd", f).CombinedOutput()
	if err != nil {
		t.Fatalf("xmllint: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "validates") {
		t.Fatalf("xmllint said: %s", out)
	}
}

func exportAll(t *testing.T, e *env, opt Options) ([]byte, backup, Result) {
	t.Helper()
	var buf bytes.Buffer
	res, err := Export(&buf, e.st, opt)
	if err != nil {
		t.Fatal(err)
	}
	var b backup
	if err := xml.Unmarshal(buf.Bytes(), &b); err != nil {
		t.Fatalf("the export does not parse: %v", err)
	}
	return buf.Bytes(), b, res
}

// TestExportCorpus exports every real message of the corpus: the file
// validates against the schema, and every part comes back from it equal
// to the part the store holds (text as UTF-8, the rest byte for byte).
func TestExportCorpus(t *testing.T) {
	e := newEnv(t)
	metas := e.loadCorpus(t)
	doc, b, res := exportAll(t, e, Options{})
	xmllint(t, doc)
	if res.Messages != len(metas) || len(res.Skipped) != 0 || b.Count != len(metas) || len(b.MMS) != len(metas) {
		t.Fatalf("wrote %d (skipped %v), count %d, %d elements; want %d", res.Messages, res.Skipped, b.Count, len(b.MMS), len(metas))
	}
	for i, m := range metas { // oldest first, as stored
		checkMessage(t, e.st, m, b.MMS[i])
	}
}

func checkMessage(t *testing.T, st *store.Store, m store.Meta, got mmsElem) {
	t.Helper()
	if got.MID != m.ID || got.Date != m.Received.UnixMilli() {
		t.Errorf("%s: m_id %q date %d, want %s %d", m.ID, got.MID, got.Date, m.ID, m.Received.UnixMilli())
	}
	msg, err := readPDU(st, m)
	if err != nil {
		t.Fatal(err)
	}
	leaves := mms.Leaves(msg.Parts)
	if len(got.Parts) != len(leaves) {
		t.Fatalf("%s: %d parts, want %d", m.ID, len(got.Parts), len(leaves))
	}
	for i, p := range leaves {
		g := got.Parts[i]
		if g.CT != p.ContentType.MediaType && !(p.ContentType.MediaType == "" && g.CT == "application/octet-stream") {
			t.Errorf("%s part %d: ct %q, want %q", m.ID, i, g.CT, p.ContentType.MediaType)
		}
		switch g.CT {
		case "text/plain", "application/smil":
			if g.Text != xmlSafe(p.Text()) || g.Data != "" {
				t.Errorf("%s part %d: text %q, want %q", m.ID, i, g.Text, p.Text())
			}
		default:
			data, err := base64.StdEncoding.DecodeString(g.Data)
			if err != nil || !bytes.Equal(data, p.Data) {
				t.Errorf("%s part %d (%s): data differs (%d bytes back, %d stored, %v)", m.ID, i, g.CT, len(data), len(p.Data), err)
			}
		}
	}
	if len(got.Addrs) != 1+len(msg.To)+len(msg.Cc) || got.Addrs[0].Type != 137 {
		t.Errorf("%s: addrs %+v for %d To, %d Cc", m.ID, got.Addrs, len(msg.To), len(msg.Cc))
	}
}

// xmlSafe is s with the characters XML 1.0 cannot carry replaced, as
// xml.EscapeText replaces them.
func xmlSafe(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s))
	var out string
	xml.Unmarshal([]byte("<a>"+b.String()+"</a>"), &out)
	return out
}

func picture(subject string, to ...string) *mms.Message {
	m := &mms.Message{
		Type: mms.TypeSendReq, TransactionID: "T1", Version: mms.Version12,
		From:        mms.Address{Insert: true},
		Subject:     mms.Text(subject),
		ContentType: mms.ContentType{MediaType: "application/vnd.wap.multipart.related"},
		Parts: []mms.Part{
			{ContentType: mms.ContentType{MediaType: "application/smil"}, ContentID: "<smil>",
				Data: []byte(`<smil><body><par><img src="cat.jpg"/><text src="t.txt"/></par></body></smil>`)},
			{ContentType: mms.ContentType{MediaType: "image/jpeg", Params: []mms.Param{{Name: "name", Value: "cat.jpg"}}},
				ContentLocation: "cat.jpg", Data: []byte("\xff\xd8\xff\xe0 not really a jpeg \x00\x01\x02\xff\xd9")},
			{ContentType: mms.ContentType{MediaType: "text/plain", Params: []mms.Param{{Name: "charset", Value: "iso-8859-1"}}},
				ContentLocation: "t.txt", Data: []byte("Gr\xfc\xdfe \"quoted\" <b> & \n line two")},
		},
	}
	for _, n := range to {
		m.To = append(m.To, mms.PLMN(n))
	}
	return m
}

// TestExportFields checks what a phone's restore relies on: the sender
// and group in address and addrs, text converted from its charset with
// quotes, markup and line ends intact, the subject, the read flag, and
// the contact name from Names.
func TestExportFields(t *testing.T) {
	e := newEnv(t)
	m := e.put(t, picture("Hi \"you\" & 😀", "+15550002222", "+15550003333"), "+15550001111")
	e.st.SetSeen(m.ID, true)
	names := func(n string) string {
		if n == "+15550001111" {
			return "Anna's phone"
		}
		return ""
	}
	doc, b, _ := exportAll(t, e, Options{Names: names})
	xmllint(t, doc)
	got := b.MMS[0]
	if got.Address != "+15550001111~+15550002222~+15550003333" {
		t.Errorf("address %q", got.Address)
	}
	if got.Sub != "Hi \"you\" & 😀" || got.Read != "1" || got.Contact != "Anna's phone" {
		t.Errorf("sub %q read %q contact %q", got.Sub, got.Read, got.Contact)
	}
	want := []addrElem{{"+15550001111", 137}, {"+15550002222", 151}, {"+15550003333", 151}}
	if len(got.Addrs) != 3 || got.Addrs[0] != want[0] || got.Addrs[1] != want[1] || got.Addrs[2] != want[2] {
		t.Errorf("addrs %+v, want %+v", got.Addrs, want)
	}
	ps := got.Parts
	if len(ps) != 3 || ps[0].Seq != -1 || ps[1].Seq != 0 || ps[2].Seq != 1 {
		t.Fatalf("parts %+v", ps)
	}
	if ps[2].Text != "Grüße \"quoted\" <b> & \n line two" {
		t.Errorf("text %q", ps[2].Text)
	}
	if ps[1].CL != "cat.jpg" || ps[0].CID != "<smil>" || !strings.Contains(ps[0].Text, `<img src="cat.jpg"/>`) {
		t.Errorf("SMIL references lost: %+v", ps[:2])
	}
	if !bytes.Contains(doc, []byte(`&#xA; line two`)) {
		t.Error("the line end in an attribute is not written as a character reference (a parser would turn it into a space)")
	}
}

// TestExportRange selects by the time received, and count says how many
// were selected.
func TestExportRange(t *testing.T) {
	e := newEnv(t)
	var ids []string
	for i := 0; i < 5; i++ {
		ids = append(ids, e.put(t, picture("day"), "+15550001111").ID)
		e.clock.Add(24 * time.Hour)
	}
	start := time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)
	doc, b, res := exportAll(t, e, Options{From: start, To: start.AddDate(0, 0, 2)})
	xmllint(t, doc)
	if res.Messages != 2 || b.Count != 2 || len(b.MMS) != 2 || b.MMS[0].MID != ids[1] || b.MMS[1].MID != ids[2] {
		t.Fatalf("range: wrote %d, count %d, %+v; want %s, %s", res.Messages, b.Count, b.MMS, ids[1], ids[2])
	}
	_, b, _ = exportAll(t, e, Options{})
	if b.Count != 5 || len(b.MMS) != 5 {
		t.Fatalf("all: count %d, %d elements", b.Count, len(b.MMS))
	}
}

// TestExportSkipsDamaged leaves out a message whose PDU no longer
// decodes, names it, and writes the rest.
func TestExportSkipsDamaged(t *testing.T) {
	e := newEnv(t)
	a := e.put(t, picture("a"), "+15550001111")
	bad := e.put(t, picture("b"), "+15550001111")
	// Overwrite its PDU in the store's log with junk of the same size:
	// the store still lists it.
	f, err := e.st.OpenPDU(bad.ID)
	if err != nil {
		t.Fatal(err)
	}
	pdu, _ := io.ReadAll(f)
	f.Close()
	logPath := filepath.Join(e.dir, "messages.log")
	raw, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(raw, pdu)
	copy(raw[i:], bytes.Repeat([]byte{0xff}, len(pdu)))
	if err := os.WriteFile(logPath, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	doc, b, res := exportAll(t, e, Options{})
	xmllint(t, doc)
	if res.Messages != 1 || len(res.Skipped) != 1 || res.Skipped[0] != bad.ID || len(b.MMS) != 1 || b.MMS[0].MID != a.ID {
		t.Fatalf("wrote %d, skipped %v, elements %+v", res.Messages, res.Skipped, b.MMS)
	}
}
