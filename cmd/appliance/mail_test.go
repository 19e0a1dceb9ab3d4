package main

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/homemmsc/homemmsc/internal/mm3"
)

// TestMailFlags: e-mail forwarding is off without -mail-server; with it,
// host:port, the TLS mode, the recipients and the password file make the
// Sender's Config, and a malformed value stops the start. (A missing
// -mail-from or -mail-to turns forwarding off with a log line and a bad
// status row instead: each line of the defaults file must parse alone.)
func TestMailFlags(t *testing.T) {
	if o := parse(t, nil, env()); o.mailOpts.on {
		t.Fatal("e-mail forwarding on by default")
	}
	pw := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pw, []byte("s3cret\n"), 0o600)
	o := parse(t, []string{"-mail-server", "smtp.example.org:2525", "-mail-tls", "tls", "-mail-user", "me",
		"-mail-password-file", pw, "-mail-from", "box@example.org", "-mail-to", "a@example.org, b@example.org"}, env())
	c := o.mailOpts.cfg
	if !o.mailOpts.on || c.Host != "smtp.example.org" || c.Port != 2525 || c.Security != mm3.ImplicitTLS ||
		c.User != "me" || c.Password != "s3cret" || c.From != "box@example.org" || !slices.Equal(c.To, []string{"a@example.org", "b@example.org"}) {
		t.Errorf("config %+v", c)
	}
	if c := parse(t, []string{"-mail-server", "smtp.example.org", "-mail-from", "x@example.org", "-mail-to", "y@example.org"}, env()).mailOpts.cfg; c.Port != 0 || c.Security != mm3.StartTLS {
		t.Errorf("defaults: %+v (port 0 is 587 for StartTLS)", c)
	}
	for _, args := range [][]string{
		{"-mail-server", "smtp.example.org:x", "-mail-from", "a@b", "-mail-to", "c@d"},
		{"-mail-server", "smtp.example.org", "-mail-from", "a@b", "-mail-to", "c@d", "-mail-user", "me"},
		{"-mail-server", "smtp.example.org", "-mail-from", "a@b", "-mail-to", "c@d", "-mail-user", "me", "-mail-password-file", "/nonexistent"},
		{"-mail-tls", "plain"},
	} {
		if _, err := parseOptions(args, env(), io.Discard); err == nil || !strings.Contains(err.Error(), "mail") {
			t.Errorf("%q: %v, want an error about the mail flags", args, err)
		}
	}
}
