package at

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/homemmsc/homemmsc/internal/modem/at/attest"
	"github.com/homemmsc/homemmsc/internal/testcorpus"
)

// Real modem transcripts from gammu's tests (+CMGR with PDUs, +CREG,
// +CPMS, +CNMI, +CSCA from named modems): the engine returns each reply's
// information lines as the modem sent them, and its final result.
func TestCorpusTranscripts(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(corpusDir(t), "gammu__at-*.dump"))
	n := 0
	for _, f := range files {
		if strings.Contains(f, "at-sms-encode") {
			continue // bare PDUs, no transcript
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cmd, info, final, ok := parseTranscript(string(b))
		if !ok {
			continue
		}
		n++
		synctest.Test(t, func(t *testing.T) {
			p := attest.New(attest.Step{Write: cmd + "\r", Reply: "\r\n" + strings.Join(append(info, final), "\r\n") + "\r\n"})
			a := New(p, Config{})
			got, err := a.Command(context.Background(), strings.TrimPrefix(cmd, "AT"))
			a.Close()
			if (err == nil) != (final == "OK") || !reflect.DeepEqual(got, info) {
				t.Errorf("%s: got %q, %v; want %q, %s", filepath.Base(f), got, err, info, final)
			}
			if err := p.Close(); err != nil {
				t.Errorf("%s: %v", filepath.Base(f), err)
			}
		})
	}
	if n < 30 {
		t.Errorf("only %d transcripts replayed", n)
	}
	t.Logf("%d transcripts replayed", n)
}

// parseTranscript splits a gammu dump: the command, the information lines
// and the final result.
func parseTranscript(s string) (cmd string, info []string, final string, ok bool) {
	var lines []string
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r", ""), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "AT") {
		return "", nil, "", false
	}
	final = lines[len(lines)-1]
	if isFinal, _ := finalResult(final, false); !isFinal {
		return "", nil, "", false
	}
	info = lines[1 : len(lines)-1]
	if len(info) == 0 {
		info = nil
	}
	return lines[0], info, final, true
}

func corpusDir(t *testing.T) string { return testcorpus.Dir(t, "sms") }
