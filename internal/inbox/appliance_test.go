package inbox

import (
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/logring"
	"github.com/homemmsc/homemmsc/internal/modem"
	"github.com/homemmsc/homemmsc/internal/modem/ownersms"
	"github.com/homemmsc/homemmsc/internal/portmap"
	"github.com/homemmsc/homemmsc/internal/reach"
)

func TestReadPasswordFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	log := slog.New(slog.DiscardHandler)
	hash, _ := HashPassword("a fine password", 1000)
	got, err := ReadPasswordFile(write("hash", hash+"\n"), log)
	if err != nil || got != hash {
		t.Errorf("hash file: %q, %v", got, err)
	}
	got, err = ReadPasswordFile(write("plain", "a fine password\r\n"), log)
	if err != nil || !strings.HasPrefix(got, "pbkdf2-sha256$") || strings.Contains(got, "fine") {
		t.Errorf("plain file: %q, %v", got, err)
	}
	for name, content := range map[string]string{"short": "abc\n", "huge": strings.Repeat("x", maxPasswordFile+1)} {
		if _, err := ReadPasswordFile(write(name, content), log); err == nil {
			t.Errorf("%s password file accepted", name)
		}
	}
	if _, err := ReadPasswordFile(filepath.Join(dir, "missing"), log); err == nil {
		t.Error("missing file accepted")
	}
	if got, err := ReadPasswordFile("", log); got != "" || err != nil {
		t.Errorf("no file: %q, %v", got, err)
	}
}

func TestMMSCBase(t *testing.T) {
	r := httptest.NewRequest("GET", "http://192.168.1.10:8081/phones", nil)
	if got := MMSCBase("", "0.0.0.0:8080")(r); got != "http://192.168.1.10:8080" {
		t.Errorf("from the request: %q", got)
	}
	r = httptest.NewRequest("GET", "http://[fd00::5]:8081/phones", nil)
	if got := MMSCBase("", ":8080")(r); got != "http://[fd00::5]:8080" {
		t.Errorf("IPv6: %q", got)
	}
	if got := MMSCBase("http://mms.example.org:8080/", ":8080")(r); got != "http://mms.example.org:8080" {
		t.Errorf("public URL: %q", got)
	}
}

func TestApplianceRows(t *testing.T) {
	rows := ApplianceStatus{
		ClockSynced: func() bool { return false },
		Modem:       func() modem.Status { return modem.Status{Present: true, Reg: "not registered"} },
		Display:     func() string { return "failing" },
		Errors:      func() []logring.Entry { return nil },
		Mail:        func() (string, bool) { return "to me@example.org: 1 waiting", true },
	}.Rows()
	want := map[string]bool{"Clock": true, "Modem": true, "Display": true, "Errors": false, "E-mail": true}
	for _, r := range rows {
		if bad, ok := want[r.Label]; !ok || bad != r.Bad {
			t.Errorf("row %+v", r)
		}
		delete(want, r.Label)
	}
	if len(want) != 0 {
		t.Errorf("missing rows %v", want)
	}
	if rows := (ApplianceStatus{}).Rows(); rows[0].Value != "none configured" || rows[1].Value != "none" {
		t.Errorf("nothing configured: %+v", rows)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.Local)
	rows = ApplianceStatus{Errors: func() []logring.Entry { return []logring.Entry{{Time: at, Text: "it broke n=6"}} }}.Rows()
	if last := rows[len(rows)-1]; last.Label != "Error 2026-01-02 03:04:05" || last.Value != "it broke n=6" || !last.Bad {
		t.Errorf("error row %+v", last)
	}
}

func TestModemRow(t *testing.T) {
	st := modem.Status{Present: true, Model: "E173", Registered: true, Reg: "home network", Operator: "Op", Signal: 18}
	s := ApplianceStatus{
		Modem:  func() modem.Status { return st },
		Outbox: func() (ownersms.Stats, bool) { return ownersms.Stats{Queued: 2, Sent: 5, Failed: 1}, true },
	}
	v, bad := s.modemRow()
	if bad || v != "E173, home network (Op), signal 3/4; outbox 2 waiting, 5 sent, 1 given up" {
		t.Errorf("registered: %q bad=%v", v, bad)
	}
	st = modem.Status{LastError: "no answer"}
	if v, bad := s.modemRow(); !bad || v != "not found; last error: no answer" {
		t.Errorf("absent: %q bad=%v", v, bad)
	}
}

// TestApplianceReachRows: the reachability rows come before the errors,
// bad news marked.
func TestApplianceReachRows(t *testing.T) {
	failed := portmap.Status{State: portmap.Failed, Err: "no UPnP Internet Gateway Device answered"}
	rows := ApplianceStatus{
		Reach:  func() reach.Status { return reach.Status{Mapping: &failed} },
		Errors: func() []logring.Entry { return nil },
	}.Rows()
	var labels []string
	bad := false
	for _, r := range rows {
		labels = append(labels, r.Label)
		if r.Label == "Port mapping" {
			bad = r.Bad && strings.Contains(r.Value, "no UPnP Internet Gateway Device answered")
		}
	}
	if got := strings.Join(labels, ","); got != "Modem,Display,Public URL,Port mapping,IPv6,Self-test,Errors" {
		t.Errorf("rows %s", got)
	}
	if !bad {
		t.Errorf("failed mapping not shown as bad: %+v", rows)
	}
}
