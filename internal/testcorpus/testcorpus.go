// Package testcorpus finds, for tests, the shared corpus of real MMS and
// SMS PDUs that lives beside the repository (../shared/corpus from the
// directory holding go.mod; its MANIFEST.md says what each file is).
//
// The corpus is not part of the repository. Tests skip with a message
// when it is absent, except under CI (the CI environment variable set),
// which has it: there a missing corpus fails the test rather than
// letting it pass without having run.
package testcorpus

import (
	"os"
	"path/filepath"
	"testing"
)

// Find returns the corpus subdirectory kind ("mms" or "sms"), or "" when
// there is none.
func Find(kind string) string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
	c := filepath.Join(dir, "..", "shared", "corpus", kind)
	if fi, err := os.Stat(c); err != nil || !fi.IsDir() {
		return ""
	}
	return c
}

// Dir returns Find(kind), or skips the test when the corpus is absent
// (fails it under CI).
func Dir(tb testing.TB, kind string) string {
	tb.Helper()
	c := Find(kind)
	if c != "" {
		return c
	}
	const why = "corpus absent: ../shared/corpus/%s not found beside the repository"
	if os.Getenv("CI") != "" {
		tb.Fatalf(why+" (CI must have it)", kind)
	}
	tb.Skipf(why+" (CI has it)", kind)
	return ""
}
