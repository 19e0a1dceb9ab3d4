package modem

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/homemmsc/homemmsc/internal/testcorpus"
)

// The +CREG and +CSCA replies of named modems, from gammu's tests.
func TestCorpusReplies(t *testing.T) {
	dir := corpusDir(t)
	tests := []struct {
		file  string
		check func([]string) (string, bool)
	}{
		{"gammu__at-creg__huawei.dump", regIs(RegHome)},
		{"gammu__at-creg__siemens.dump", regIs(RegHome)},
		{"gammu__at-creg__sierra312u.dump", regIs(RegRoaming)},
		{"gammu__at-creg__empty.dump", regIs(RegNone)},
		{"gammu__at-creg-corner__empty-lac.dump", regIs(RegHome)},
		{"gammu__at-creg-corner__mismatched-quotes.dump", regIs(RegHome)},
		{"gammu__at-smsc__01.dump", smscIs("+97254120032")},
		{"gammu__at-smsc__02.dump", smscIs("+79168999100")},
		{"gammu__at-smsc__05.dump", smscIs("+447802092035")},
	}
	for _, tt := range tests {
		b, err := os.ReadFile(filepath.Join(dir, tt.file))
		if err != nil {
			t.Errorf("%s: %v", tt.file, err)
			continue
		}
		lines := strings.Split(strings.ReplaceAll(string(b), "\r", ""), "\n")
		if got, ok := tt.check(lines); !ok {
			t.Errorf("%s: got %s", tt.file, got)
		}
	}
}

func regIs(want RegStat) func([]string) (string, bool) {
	return func(l []string) (string, bool) {
		got := parseRegQuery(l, "+CREG:")
		return got.String(), got == want
	}
}

func smscIs(want string) func([]string) (string, bool) {
	return func(l []string) (string, bool) {
		got := parseCSCA(l)
		return got, got == want
	}
}

func corpusDir(t *testing.T) string { return testcorpus.Dir(t, "sms") }

func TestRegSummary(t *testing.T) {
	tests := []struct {
		reg [3]RegStat
		ok  bool
		why string
	}{
		{[3]RegStat{0, 0, 1}, true, "home network"},
		{[3]RegStat{0, RegNone, 7}, true, "roaming"},
		{[3]RegStat{0, 6, RegNone}, true, "home network"},
		{[3]RegStat{10, 0, 0}, true, "roaming"},
		{[3]RegStat{2, 0, RegNone}, false, "searching"},
		{[3]RegStat{3, 0, 0}, false, "registration denied"},
		{[3]RegStat{8, 0, 0}, false, "emergency calls only"},
		{[3]RegStat{RegNone, RegNone, RegNone}, false, "not reported"},
	}
	for _, tt := range tests {
		if ok, why := summarizeReg(tt.reg); ok != tt.ok || why != tt.why {
			t.Errorf("%v: %v %q, want %v %q", tt.reg, ok, why, tt.ok, tt.why)
		}
	}
}
