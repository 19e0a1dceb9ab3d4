package sms

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"testing"
)

// The independent decoder: libGammu through Debian's python3-gammu. Each
// group of PDUs is decoded part by part (gammu.DecodePDU), linked
// (gammu.LinkSMS) and, when it links into one message, decoded as a
// multi-part message (gammu.DecodeSMS), which recognises WAP-push MMS
// indicators.
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

type gammuUDH struct {
	Type       string
	Text       string
	ID8bit     int
	ID16bit    int
	PartNumber int
	AllParts   int
}

type gammuSMS struct {
	SMSC struct {
		Validity string
	}
	UDH    gammuUDH
	Number string
	Text   string
	Type   string
	Coding string
	Length int
}

type gammuEntry struct {
	ID           string
	Number       int
	Buffer       string
	MMSIndicator *struct {
		Address, Title, Sender string
		MessageSize            int
		Class                  string
	}
}

type gammuResult struct {
	Parts       []gammuSMS
	Linked      int
	LinkedParts []gammuSMS
	Info        *struct{ Entries []gammuEntry }
}

// oracle decodes groups of PDUs with libGammu. It skips the test when the
// decoder is not installed, and fails it when CI is set.
func oracle(t *testing.T, groups [][]PDU) []gammuResult {
	t.Helper()
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import gammu").Run(); err != nil {
		msg := "independent decoder absent (apt-get install python3-gammu): " + err.Error()
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	in := make([][]string, len(groups))
	for i, g := range groups {
		for _, p := range g {
			in[i] = append(in[i], p.Hex())
		}
	}
	js, err := json.Marshal(in)
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
	var res []gammuResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("python3-gammu output: %v\n%s", err, out)
	}
	if len(res) != len(groups) {
		t.Fatalf("python3-gammu decoded %d groups, want %d", len(res), len(groups))
	}
	return res
}
