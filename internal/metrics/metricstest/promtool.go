// Package metricstest checks metrics text with an independent parser:
// Prometheus's own promtool (Debian package prometheus).
package metricstest

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// PromtoolCheck fails t unless `promtool check metrics` accepts text with
// no parse error and no lint problem. Without promtool it skips, saying
// so, except under CI (CI set), which must install it.
func PromtoolCheck(t testing.TB, text []byte) {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("promtool not found; CI must install Debian's prometheus package")
		}
		t.Skip("promtool not found (apt-get install prometheus): the exposition format is not checked by an independent parser")
	}
	cmd := exec.Command(path, "check", "metrics")
	cmd.Stdin = bytes.NewReader(text)
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "" {
		t.Errorf("promtool check metrics: %v\n%s\ninput:\n%s", err, out, text)
	}
}
