package flagvalue

import "testing"

func TestEnvName(t *testing.T) {
	e := Env{Prefix: "HOMEMMSC_"}
	for flagName, want := range map[string]string{
		"listen": "HOMEMMSC_LISTEN", "max-size": "HOMEMMSC_MAX_SIZE", "log-level": "HOMEMMSC_LOG_LEVEL",
	} {
		if got := e.Name(flagName); got != want {
			t.Errorf("Name(%q) = %q, want %q", flagName, got, want)
		}
	}
}
