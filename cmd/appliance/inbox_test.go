package main

import (
	"bytes"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/homemmsc/homemmsc/internal/inbox"
	"github.com/homemmsc/homemmsc/internal/modem"
	"github.com/homemmsc/homemmsc/internal/modem/notify"
)

func TestInboxPasswordFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	log := slog.New(slog.DiscardHandler)
	hash, _ := inbox.HashPassword("a fine password", 1000)
	got, err := inboxOptions{passwordFile: write("hash", hash+"\n")}.passwordHash(log)
	if err != nil || got != hash {
		t.Errorf("hash file: %q, %v", got, err)
	}
	got, err = inboxOptions{passwordFile: write("plain", "a fine password\r\n")}.passwordHash(log)
	if err != nil || !strings.HasPrefix(got, "pbkdf2-sha256$") || strings.Contains(got, "fine") {
		t.Errorf("plain file: %q, %v", got, err)
	}
	for name, content := range map[string]string{"short": "abc\n", "huge": strings.Repeat("x", maxPasswordFile+1)} {
		if _, err := (inboxOptions{passwordFile: write(name, content)}).passwordHash(log); err == nil {
			t.Errorf("%s password file accepted", name)
		}
	}
	if _, err := (inboxOptions{passwordFile: filepath.Join(dir, "missing")}).passwordHash(log); err == nil {
		t.Error("missing file accepted")
	}
	if got, err := (inboxOptions{}).passwordHash(log); got != "" || err != nil {
		t.Errorf("no file: %q, %v", got, err)
	}
}

func TestMMSCBase(t *testing.T) {
	r := httptest.NewRequest("GET", "http://192.168.1.10:8081/phones", nil)
	if got := mmscBase("", "0.0.0.0:8080")(r); got != "http://192.168.1.10:8080" {
		t.Errorf("from the request: %q", got)
	}
	r = httptest.NewRequest("GET", "http://[fd00::5]:8081/phones", nil)
	if got := mmscBase("", ":8080")(r); got != "http://[fd00::5]:8080" {
		t.Errorf("IPv6: %q", got)
	}
	if got := mmscBase("http://mms.example.org:8080/", ":8080")(r); got != "http://mms.example.org:8080" {
		t.Errorf("public URL: %q", got)
	}
}

func TestKeepErrors(t *testing.T) {
	var out bytes.Buffer
	log, errs := keepErrors(slog.New(slog.NewTextHandler(&out, nil)))
	log.Info("fine")
	for i := range keptErrors + 2 {
		log.With("n", i).Error("it broke", "err", "EIO")
	}
	got := errs()
	if len(got) != keptErrors || !strings.Contains(got[0].Value, "n=6") || !strings.Contains(got[0].Value, "it broke n=6 err=EIO") || !got[0].Bad {
		t.Errorf("kept %+v", got)
	}
	if !strings.Contains(out.String(), "fine") || strings.Count(out.String(), "it broke") != keptErrors+2 {
		t.Error("the wrapped handler did not get every record")
	}
}

func TestStatusRows(t *testing.T) {
	rows := statusRows{
		clockSynced: func() bool { return false },
		modem:       func() (string, bool) { return "not registered", true },
		display:     func() string { return "failing" },
		errors:      func() []inbox.StatusItem { return nil },
	}.rows()
	want := map[string]bool{"Clock": true, "Modem": true, "Display": true, "Errors": false}
	for _, r := range rows {
		if bad, ok := want[r.Label]; !ok || bad != r.Bad {
			t.Errorf("row %+v", r)
		}
		delete(want, r.Label)
	}
	if len(want) != 0 {
		t.Errorf("missing rows %v", want)
	}
	if rows := (statusRows{}).rows(); rows[0].Value != "none configured" || rows[1].Value != "none" {
		t.Errorf("nothing configured: %+v", rows)
	}
}

func TestModemRow(t *testing.T) {
	if modemRow(nil) != nil {
		t.Error("no modem: want no row function")
	}
	report := modemReport{status: modem.Status{Present: true, Model: "E173", Registered: true, Reg: "home network", Operator: "Op", Signal: 18},
		notify: notify.Stats{Queued: 2, Sent: 5, Failed: 1}, notifier: true}
	v, bad := modemRow(func() modemReport { return report })()
	if bad || v != "E173, home network (Op), signal 3/4; outbox 2 waiting, 5 sent, 1 given up" {
		t.Errorf("registered: %q bad=%v", v, bad)
	}
	report.status = modem.Status{LastError: "no answer"}
	if v, bad := modemRow(func() modemReport { return report })(); !bad || v != "not found; last error: no answer" {
		t.Errorf("absent: %q bad=%v", v, bad)
	}
}
