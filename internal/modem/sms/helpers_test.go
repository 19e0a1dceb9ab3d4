package sms

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/homemmsc/homemmsc/internal/testcorpus"
)

type oracleCase struct {
	m Message
	n *notification // the MMS indicator a WAP push carries
}

// oracleMessages is one of each kind of message the encoder makes.
func oracleMessages() []Message {
	var ms []Message
	for _, c := range oracleCases() {
		ms = append(ms, c.m)
	}
	return ms
}

func oracleCases() []oracleCase {
	const to = "+15557654321"
	long := "The appliance received a long message: " + strings.Repeat("abcdefghij €{} ", 14)
	emoji := strings.Repeat("Фото 📷 от Зои 😀 ", 9)
	short, longN := testNotification(), longNotification()
	return []oracleCase{
		{m: Message{To: to, Text: "hellohello"}},
		{m: Message{To: "0612345678", Text: "Price 5€ [ok] {x} ~^| back\\slash"}},
		{m: Message{To: to, Text: "Photo from Zoë 😀🎉 ok"}},
		{m: Message{To: to, Text: "Report and 24 h validity", StatusReport: true, Validity: 24 * time.Hour}},
		{m: Message{To: to, Text: long[:200], Ref: 0xA5}},
		{m: Message{To: to, Text: long, Ref: 0x1234, Ref16: true}},
		{m: Message{To: to, Text: emoji, Ref: 0x42}},
		{m: Message{To: to, Text: strings.Repeat("x", 152) + "€€€", Ref: 7}},
		{m: WAPPush(to, 0x01, short.encode(), 0x0101), n: &short},
		{m: WAPPush(to, 0x02, longN.encode(), 0xBEEF), n: &longN},
	}
}

// notification is an MMS M-Notification.ind for the WAP push tests.
type notification struct {
	tid, from, subject, url string
	size                    int
}

func testNotification() notification {
	return notification{"T0001", "+15551234567/TYPE=PLMN", "Hi", "http://192.0.2.10/mms/T0001", 12345}
}

func longNotification() notification {
	n := testNotification()
	n.subject = "A rather long subject that makes the push need two parts"
	n.url = "http://mms.example.org/mms/" + strings.Repeat("0123456789", 8)
	return n
}

// encode writes the headers per OMA-MMS-ENC §6.2 (see PROTOCOL-NOTES).
func (n notification) encode() []byte {
	b := []byte{0x8C, 0x82, 0x98}
	b = append(append(b, n.tid...), 0, 0x8D, 0x92, 0x89, byte(len(n.from)+2), 0x80)
	b = append(append(b, n.from...), 0, 0x96)
	b = append(append(b, n.subject...), 0, 0x8A, 0x80, 0x8E, 0x02, byte(n.size>>8), byte(n.size))
	b = append(b, 0x88, 0x05, 0x81, 0x03, 0x02, 0xA3, 0x00, 0x83)
	return append(append(b, n.url...), 0)
}

func corpusDir(t *testing.T) string { return testcorpus.Dir(t, "sms") }

type encodeCase struct {
	name, number, text, dump string
	udh, class               bool
}

// loadEncodeCases reads gammu's at-sms-encode pairs: a backup (INI) with
// the message and a dump with the PDU gammu made of it.
func loadEncodeCases(t *testing.T, dir string) []encodeCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "gammu__at-sms-encode__*.backup"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	var cases []encodeCase
	for _, f := range files {
		c, ok := parseBackup(t, f)
		if ok {
			cases = append(cases, c)
		}
	}
	return cases
}

func parseBackup(t *testing.T, file string) (encodeCase, bool) {
	ini, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dump, err := os.ReadFile(strings.TrimSuffix(file, ".backup") + ".dump")
	if err != nil {
		return encodeCase{}, false
	}
	c := encodeCase{name: filepath.Base(file), dump: string(dump)}
	var ucs []byte
	for _, line := range strings.Split(string(ini), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.Trim(strings.TrimSpace(v), `"`)
		switch {
		case k == "Number":
			c.number = v
		case strings.HasPrefix(k, "Text"):
			b, err := hex.DecodeString(v)
			if err != nil {
				return c, false
			}
			ucs = append(ucs, b...)
		case k == "UDH":
			c.udh = true
		case k == "Class":
			c.class = true
		}
	}
	u := make([]uint16, len(ucs)/2)
	for i := range u {
		u[i] = uint16(ucs[2*i])<<8 | uint16(ucs[2*i+1])
	}
	c.text = string(utf16.Decode(u))
	return c, c.text != ""
}
