package inbox

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/homemmsc/homemmsc/internal/logring"
	"github.com/homemmsc/homemmsc/internal/modem"
	"github.com/homemmsc/homemmsc/internal/modem/ownersms"
	"github.com/homemmsc/homemmsc/internal/reach"
)

// ApplianceStatus is the appliance's part of the status page (Config.Status):
// the clock, the modem and the owner's outbox, the display, the last
// errors logged.
type ApplianceStatus struct {
	ClockSynced func() bool                   // nil: no row
	Modem       func() modem.Status           // nil: no modem configured
	Outbox      func() (ownersms.Stats, bool) // the owner's SMS outbox; false (or nil) without one
	Display     func() string                 // the panel's state (display.Watch); nil: none
	Errors      func() []logring.Entry        // nil: no row
	Reach       func() reach.Status           // port mapping, public address, DNS name, self-test; nil: no rows
	Mail        func() (string, bool)         // e-mail forwarding's line and whether it is bad news (mm3.Forwarder.Status); nil: off
}

// Rows are the status page's rows for the appliance.
func (s ApplianceStatus) Rows() []StatusItem {
	var out []StatusItem
	if s.ClockSynced != nil {
		row := StatusItem{Label: "Clock", Value: "synchronised"}
		if !s.ClockSynced() {
			row = StatusItem{Label: "Clock", Value: "not synchronised: messages get a marked time", Bad: true}
		}
		out = append(out, row)
	}
	if s.Modem == nil {
		out = append(out, StatusItem{Label: "Modem", Value: "none configured"})
	} else {
		v, bad := s.modemRow()
		out = append(out, StatusItem{Label: "Modem", Value: v, Bad: bad})
	}
	disp := "none"
	if s.Display != nil {
		disp = s.Display()
	}
	out = append(out, StatusItem{Label: "Display", Value: disp, Bad: disp == "failing" || disp == "absent"})
	if s.Mail != nil {
		v, bad := s.Mail()
		out = append(out, StatusItem{Label: "E-mail", Value: v, Bad: bad})
	}
	if s.Reach != nil {
		for _, r := range s.Reach().Rows() {
			out = append(out, StatusItem{Label: r.Label, Value: r.Value, Bad: r.Bad})
		}
	}
	if s.Errors != nil {
		out = append(out, errorRows(s.Errors())...)
	}
	return out
}

// modemRow describes the modem and the owner's outbox: the text and
// whether it is bad news.
func (s ApplianceStatus) modemRow() (string, bool) {
	st := s.Modem()
	if !st.Present {
		return "not found" + lastErr(st.LastError), true
	}
	v := orUnknown(st.Model) + ", " + orUnknown(st.Reg)
	if st.Operator != "" {
		v += " (" + st.Operator + ")"
	}
	if b := modem.Bars(st.Signal); b >= 0 {
		v += fmt.Sprintf(", signal %d/4", b)
	}
	var ob ownersms.Stats
	if s.Outbox != nil {
		var on bool
		if ob, on = s.Outbox(); on {
			v += fmt.Sprintf("; outbox %d waiting, %d sent, %d given up", ob.Queued, ob.Sent, ob.Failed)
			v += lastErr(ob.LastError)
		}
	}
	return v + lastErr(st.LastError), !st.Registered || ob.Queued > 0 && ob.LastError != ""
}

func errorRows(errs []logring.Entry) []StatusItem {
	if len(errs) == 0 {
		return []StatusItem{{Label: "Errors", Value: "none since the start"}}
	}
	var out []StatusItem
	for _, e := range errs {
		out = append(out, StatusItem{Label: "Error " + e.Time.Local().Format("2006-01-02 15:04:05"), Value: e.Text, Bad: true})
	}
	return out
}

func lastErr(s string) string {
	if s == "" {
		return ""
	}
	return "; last error: " + s
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// maxPasswordFile bounds what ReadPasswordFile reads.
const maxPasswordFile = 4 << 10

// ReadPasswordFile reads -inbox-password-file for Config.PasswordHash: a
// hash is used as it is, a password is hashed (in memory only: the file
// is the owner's). An empty path is no password yet ("").
func ReadPasswordFile(path string, log *slog.Logger) (string, error) {
	if path == "" {
		return "", nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("-inbox-password-file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPasswordFile+1))
	if err != nil {
		return "", fmt.Errorf("-inbox-password-file: %w", err)
	}
	if len(b) > maxPasswordFile {
		return "", fmt.Errorf("-inbox-password-file %s: larger than %d bytes", path, maxPasswordFile)
	}
	s := strings.TrimRight(string(b), "\r\n")
	if strings.HasPrefix(s, "pbkdf2-sha256$") {
		return s, nil
	}
	if len(s) < MinPasswordLen {
		return "", fmt.Errorf("-inbox-password-file %s: a password of at least %d characters, or a hash", path, MinPasswordLen)
	}
	log.Info("inbox: hashing the password from -inbox-password-file; put the hash in the file instead to start faster and keep no password on the card")
	return HashPassword(s, 0)
}

// MMSCBase is Config.MMSCURL: the public URL when the owner gave one,
// else the host the owner's browser reached the LAN listener at with the
// MMSC listener's port, which is right for a phone on the home Wi-Fi.
func MMSCBase(publicURL, listen string) func(r *http.Request) string {
	if publicURL != "" {
		return func(*http.Request) string { return strings.TrimRight(publicURL, "/") }
	}
	_, port, err := net.SplitHostPort(listen)
	if err != nil {
		port = "8080"
	}
	return func(r *http.Request) string {
		host := r.Host
		if h, _, err := net.SplitHostPort(r.Host); err == nil {
			host = h
		}
		return "http://" + net.JoinHostPort(strings.Trim(host, "[]"), port)
	}
}
