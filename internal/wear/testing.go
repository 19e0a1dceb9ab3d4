package wear

import (
	"errors"
	"testing"
)

// ForTest builds a Device of size bytes in a temporary directory of tb,
// closed when tb ends. Where none can be built here (not root, a tool
// missing) tb is skipped with the reason, in one line; any other failure
// fails it.
func ForTest(tb testing.TB, size int64) *Device {
	tb.Helper()
	d, err := New(tb.TempDir(), size)
	var unavailable *UnavailableError
	if errors.As(err, &unavailable) {
		tb.Skip(err)
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := d.Close(); err != nil {
			tb.Error(err)
		}
	})
	return d
}
