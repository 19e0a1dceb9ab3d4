// Package smstest checks SMS PDUs against an independent decoder:
// libGammu through Debian's python3-gammu (/usr/bin/python3). Each group of
// PDUs is decoded part by part (gammu.DecodePDU), linked (gammu.LinkSMS)
// and, when it links into one message, decoded as a multi-part message
// (gammu.DecodeSMS), which recognises WAP-push MMS indicators. The package
// does not import internal/modem/sms, so that package's tests can use it.
package smstest

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"testing"
)

// oracleScript reads the groups as JSON on stdin and writes the results.
const oracleScript = `
import sys, json, binascii, gammu
def enc(v):
    if isinstance(v, bytes): return binascii.hexlify(v).decode()
    if isinstance(v, dict): return {k: enc(x) for k, x in v.items()}
    if isinstance(v, list): return [enc(x) for x in v]
    if isinstance(v, (str, int, float)) or v is None: return v
    return str(v)
out = []
for group in json.load(sys.stdin):
    msgs = [gammu.DecodePDU(binascii.unhexlify(h), SMSC=True) for h in group]
    res = {"parts": enc(msgs)}
    linked = gammu.LinkSMS([[m] for m in msgs])
    res["linked"] = len(linked)
    if len(linked) == 1:
        res["info"] = enc(gammu.DecodeSMS(linked[0]))
        res["linkedParts"] = enc(linked[0])
    out.append(res)
json.dump(out, sys.stdout)
`

// UDH is the user data header as gammu sees it; a header with ports is
// left unparsed (Type "UserUDH"), its octets in Text.
type UDH struct {
	Type       string
	Text       string
	ID8bit     int
	ID16bit    int
	PartNumber int
	AllParts   int
}

// SMS is one part as gammu.DecodePDU decodes it; Text is hex for 8-bit
// data.
type SMS struct {
	SMSC struct {
		Validity string
	}
	UDH    UDH
	Number string
	Text   string
	Type   string
	Coding string
	Length int
}

// Entry is one entry of gammu.DecodeSMS; a WAP-push MMS notification is
// ID "MMSIndicatorLong" on Number 2948.
type Entry struct {
	ID           string
	Number       int
	Buffer       string
	MMSIndicator *struct {
		Address, Title, Sender string
		MessageSize            int
		Class                  string
	}
}

// Result is what gammu made of one group: the parts, how many messages
// gammu.LinkSMS linked them into and, when one, gammu.DecodeSMS of it.
type Result struct {
	Parts       []SMS
	Linked      int
	LinkedParts []SMS
	Info        *struct{ Entries []Entry }
}

// Gammu decodes groups of PDUs (in hex, SMSC field first) with libGammu.
// It skips the test when the decoder is not installed, and fails it when
// CI is set.
func Gammu(t testing.TB, groups [][]string) []Result {
	t.Helper()
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import gammu").Run(); err != nil {
		msg := "independent decoder absent (apt-get install python3-gammu): " + err.Error()
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	js, err := json.Marshal(groups)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "-c", oracleScript)
	cmd.Stdin = bytes.NewReader(js)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3-gammu: %v\n%s", err, stderr.String())
	}
	var res []Result
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("python3-gammu output: %v\n%s", err, out)
	}
	if len(res) != len(groups) {
		t.Fatalf("python3-gammu decoded %d groups, want %d", len(res), len(groups))
	}
	return res
}
