package main

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/homemmsc/homemmsc/internal/phones"
)

const (
	tokA = "Q2xhcmEtcGhvbmUtdG9rZW4"
	tokB = "x9_Kd-3mPq7ZtW2vLr8n"
)

// env is a fake environment.
func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func parse(t *testing.T, args []string, getenv func(string) string) options {
	t.Helper()
	o, err := parseOptions(args, getenv, io.Discard)
	if err != nil {
		t.Fatalf("parseOptions(%q): %v", args, err)
	}
	return o
}

func TestDefaults(t *testing.T) {
	o := parse(t, nil, env())
	if o.listen != "127.0.0.1:8080" || o.data != "mmsc-data" || o.maxSize != 1<<20 || o.quota != 0 ||
		o.open != "auto" || o.logLevel != slog.LevelInfo || o.display != "none" || o.modem != "" ||
		o.owner != "" || len(o.phones) != 0 || o.showVersion {
		t.Fatalf("defaults = %+v", o)
	}
	if !openNow(t, o) {
		t.Error("open endpoint off with no phones and -open=auto")
	}
}

func TestStateDirectory(t *testing.T) {
	o := parse(t, nil, env("STATE_DIRECTORY", "/var/lib/homemmsc:/var/lib/other"))
	if o.data != "/var/lib/homemmsc" {
		t.Fatalf("data = %q, want systemd's first StateDirectory", o.data)
	}
	o = parse(t, []string{"-data", "/srv/mms"}, env("STATE_DIRECTORY", "/var/lib/homemmsc", "HOMEMMSC_DATA", "/env/dir"))
	if o.data != "/srv/mms" {
		t.Fatalf("data = %q, want the flag", o.data)
	}
	o = parse(t, nil, env("STATE_DIRECTORY", "/var/lib/homemmsc", "HOMEMMSC_DATA", "/env/dir"))
	if o.data != "/env/dir" {
		t.Fatalf("data = %q, want HOMEMMSC_DATA over STATE_DIRECTORY", o.data)
	}
}

func TestEnvironmentAndFlagPrecedence(t *testing.T) {
	e := env(
		"HOMEMMSC_LISTEN", "0.0.0.0:80",
		"HOMEMMSC_MAX_SIZE", "300K",
		"HOMEMMSC_QUOTA", "2G",
		"HOMEMMSC_OPEN", "off",
		"HOMEMMSC_LOG_LEVEL", "debug",
		"HOMEMMSC_DISPLAY", "ssd1306",
		"HOMEMMSC_MODEM", "/dev/ttyUSB0",
		"HOMEMMSC_OWNER", "+15551234567",
		"HOMEMMSC_PHONES", "Anna:+15551234567:"+tokA,
		"HOMEMMSC_VERSION", "true", // the one-shot flags have no variable
		"HOMEMMSC_MODEM_TEST", "+15550000000",
	)
	o := parse(t, nil, e)
	if o.listen != "0.0.0.0:80" || o.maxSize != 300<<10 || o.quota != 2<<30 || o.open != "off" ||
		o.logLevel != slog.LevelDebug || o.display != "ssd1306" || o.modem != "/dev/ttyUSB0" ||
		o.owner != "+15551234567" || len(o.phones) != 1 || o.showVersion || o.modemOpts.testTo != "" {
		t.Fatalf("from environment: %+v", o)
	}
	o = parse(t, []string{"-listen", ":9000", "-max-size=2M", "-open", "ON", "-log-level", "warn",
		"-phones", "Ben:+15557654321:" + tokB}, e)
	if o.listen != ":9000" || o.maxSize != 2<<20 || o.open != "on" || o.logLevel != slog.LevelWarn ||
		len(o.phones) != 1 || o.phones[0].Name != "Ben" || o.quota != 2<<30 {
		t.Fatalf("flags over environment: %+v", o)
	}
}

func TestBadValues(t *testing.T) {
	tests := []struct {
		args []string
		env  func(string) string
		want string
	}{
		{[]string{"-max-size", "6M"}, env(), "max-size"},
		{[]string{"-max-size", "0"}, env(), "max-size"},
		{[]string{"-max-size", "lots"}, env(), "max-size"},
		{[]string{"-max-size", "-1K"}, env(), "max-size"},
		{[]string{"-quota", "99999999999G"}, env(), "quota"},
		{[]string{"-open", "maybe"}, env(), "open"},
		{[]string{"-log-level", "loud"}, env(), "log-level"},
		{[]string{"-phones", "Anna:+15551234567:weak"}, env(), "weak"},
		{[]string{"-phones", "@/nonexistent/phones"}, env(), "nonexistent"},
		{[]string{"stray"}, env(), "stray"},
		{nil, env("HOMEMMSC_MAX_SIZE", "9M"), "HOMEMMSC_MAX_SIZE"},
		{nil, env("HOMEMMSC_OPEN", "1"), "HOMEMMSC_OPEN"},
		{nil, env("HOMEMMSC_PHONES", "x:y:z"), "phones"},
	}
	for _, tt := range tests {
		_, err := parseOptions(tt.args, tt.env, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseOptions(%q): error %v, want one naming %q", tt.args, err, tt.want)
		}
	}
}

func TestPhonesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "phones")
	file := "# name:number:token\nAnna at home:+15551234567:" + tokA + "\n\nBen, work:+15557654321:" + tokB + "\n"
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	o := parse(t, []string{"-phones", "@" + path}, env())
	want := []phones.Phone{{Name: "Anna at home", Number: "+15551234567", Token: tokA}, {Name: "Ben, work", Number: "+15557654321", Token: tokB}}
	if len(o.phones) != 2 || o.phones[0] != want[0] || o.phones[1] != want[1] {
		t.Fatalf("phones = %+v", o.phones)
	}
	if openNow(t, o) {
		t.Error("open endpoint on with phones paired and -open=auto")
	}
	if err := os.WriteFile(path, []byte("Anna:+15551234567:"+tokA+"\nBen:+15557654321:0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := parseOptions([]string{"-phones", "@" + path}, env(), io.Discard); !errors.Is(err, phones.ErrWeakToken) ||
		!strings.Contains(err.Error(), "line 2") {
		t.Fatalf("weak token in file: %v", err)
	}
}

// openNow resolves -open against a registry of the -phones entries.
func openNow(t *testing.T, o options) bool {
	t.Helper()
	reg, err := phones.Open("", o.phones)
	if err != nil {
		t.Fatal(err)
	}
	return o.openEndpoint(reg)
}

func TestOpenEndpointResolution(t *testing.T) {
	anna := "Anna:+15551234567:" + tokA
	for _, tt := range []struct {
		open, phones string
		want         bool
	}{
		{"auto", "", true}, {"auto", anna, false},
		{"on", anna, true}, {"off", "", false},
	} {
		o := parse(t, []string{"-open", tt.open, "-phones", tt.phones}, env())
		if got := openNow(t, o); got != tt.want {
			t.Errorf("-open=%s phones=%q: %v, want %v", tt.open, tt.phones, got, tt.want)
		}
	}
}

func TestVersionAndHelp(t *testing.T) {
	version = "v1.2.3-test"
	var out, errOut bytes.Buffer
	if code := run([]string{"-version"}, env(), &out, &errOut); code != 0 || out.String() != "v1.2.3-test\n" {
		t.Fatalf("-version: exit %d, out %q", code, out.String())
	}
	out.Reset()
	if code := run([]string{"-help"}, env("HOMEMMSC_LISTEN", ":1234"), &out, &errOut); code != 0 {
		t.Fatalf("-help: exit %d", code)
	}
	if help := errOut.String(); !strings.Contains(help, "-max-size") || !strings.Contains(help, `":1234"`) || !strings.Contains(help, "HOMEMMSC_<NAME>") {
		t.Errorf("help does not list flags with the environment's defaults, nor say how to set them:\n%s", help)
	}
	errOut.Reset()
	if code := run([]string{"-open", "maybe"}, env(), &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "open") {
		t.Fatalf("usage error: exit %d, %q", code, errOut.String())
	}
}

func TestFatalErrorsExitNonZero(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var errOut bytes.Buffer
	args := []string{"-listen", ln.Addr().String(), "-data", t.TempDir()}
	if code := run(args, env(), io.Discard, &errOut); code != 1 {
		t.Fatalf("address in use: exit %d, want 1; log:\n%s", code, errOut.String())
	}
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o600)
	if code := run([]string{"-listen", "127.0.0.1:0", "-data", file}, env(), io.Discard, &errOut); code != 1 {
		t.Fatalf("data dir is a file: exit %d, want 1", code)
	}
	errOut.Reset()
	// A public URL whose path mixes with the MMSC's routes is refused at
	// start, before anything is opened (issue 12).
	args = []string{"-listen", "127.0.0.1:0", "-data", t.TempDir(), "-public-url", "http://mms.example.org:8080/mms"}
	if code := run(args, env(), io.Discard, &errOut); code != 1 || !strings.Contains(errOut.String(), "-public-url") {
		t.Fatalf("-public-url with the path /mms: exit %d, want 1 saying why; log:\n%s", code, errOut.String())
	}
}

// startedWriter collects the log and closes started at the startup line.
type startedWriter struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	started chan struct{}
	once    sync.Once
}

func (w *startedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), "homemmsc: started") {
		w.once.Do(func() { close(w.started) })
	}
	return len(p), nil
}

// TestSIGTERMExitsZero runs the whole program and sends it SIGTERM once
// it has started: run returns 0 and the store is closed (a second run on
// the same directory can take its lock).
func TestSIGTERMExitsZero(t *testing.T) {
	data := t.TempDir()
	args := []string{"-listen", "127.0.0.1:0", "-data", data, "-phones", "Anna:+15551234567:" + tokA}
	for round := range 2 {
		w := &startedWriter{started: make(chan struct{})}
		code := make(chan int, 1)
		go func() { code <- run(args, env(), io.Discard, w) }()
		select {
		case <-w.started:
		case c := <-code:
			t.Fatalf("round %d: run exited %d before starting:\n%s", round, c, w.buf.String())
		}
		if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if c := <-code; c != 0 {
			t.Fatalf("round %d: exit %d after SIGTERM, want 0:\n%s", round, c, w.buf.String())
		}
	}
}
