package main

// Tests of the board/ files against the code: every flag has its line in
// the defaults file and its row in README's settings table, the unit says
// what README and the watchdog rely on, the udev rule is well formed, and
// install.sh puts the files where the unit expects them with the right
// modes, keeps the settings on a second run and uninstalls cleanly.

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/homemmsc/homemmsc/internal/phones"
)

const boardDir = "../../board"

// flagNames lists the flags that parseOptions declares, from -help.
func flagNames(t *testing.T) []string {
	t.Helper()
	var out bytes.Buffer
	if _, err := parseOptions([]string{"-help"}, env(), &out); err == nil {
		t.Fatal("-help did not return flag.ErrHelp")
	}
	var names []string
	for _, m := range regexp.MustCompile(`(?m)^  -([a-z0-9-]+)`).FindAllStringSubmatch(out.String(), -1) {
		names = append(names, m[1])
	}
	if len(names) < 20 {
		t.Fatalf("only %d flags found in -help:\n%s", len(names), out.String())
	}
	return names
}

func readBoard(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(boardDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// defaultsEntries maps each HOMEMMSC_* variable of the defaults file,
// commented out or not, to its value.
func defaultsEntries(t *testing.T) map[string]string {
	t.Helper()
	m := map[string]string{}
	re := regexp.MustCompile(`(?m)^#?(HOMEMMSC_[A-Z0-9_]+)=(.*)$`)
	for _, e := range re.FindAllStringSubmatch(readBoard(t, "homemmsc.default"), -1) {
		if _, dup := m[e[1]]; dup {
			t.Errorf("homemmsc.default: %s twice", e[1])
		}
		m[e[1]] = strings.Trim(e[2], `"`)
	}
	return m
}

func TestEveryFlagHasADefaultsLine(t *testing.T) {
	entries := defaultsEntries(t)
	flags := flagNames(t)
	for _, f := range flags {
		_, ok := entries[flagEnv.Name(f)]
		switch {
		case flagEnv.IsOneShot(f) && ok:
			t.Errorf("homemmsc.default sets %s, but -%s is a one-shot flag with no variable", flagEnv.Name(f), f)
		case !flagEnv.IsOneShot(f) && !ok:
			t.Errorf("-%s has no %s line in board/homemmsc.default", f, flagEnv.Name(f))
		}
	}
	for v := range entries {
		flag := strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(v, envPrefix)), "_", "-")
		if !slices.Contains(flags, flag) {
			t.Errorf("board/homemmsc.default has %s, but there is no flag -%s", v, flag)
		}
	}
}

// Every value in the defaults file, the examples behind '#' too, is one
// the appliance accepts.
func TestDefaultsFileValuesParse(t *testing.T) {
	phones := filepath.Join(t.TempDir(), "phones")
	if err := os.WriteFile(phones, []byte("# none yet\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, value := range defaultsEntries(t) {
		if strings.HasPrefix(value, "@") {
			value = "@" + phones // the file lives on the Pi
		}
		if _, err := parseOptions(nil, env(name, value), &bytes.Buffer{}); err != nil {
			t.Errorf("homemmsc.default: %s=%s: %v", name, value, err)
		}
	}
}

func TestEveryFlagHasAREADMERow(t *testing.T) {
	readme := string(mustRead(t, "../../README.md"))
	_, settings, ok := strings.Cut(readme, "\n## Settings\n")
	if !ok {
		t.Fatal("README.md has no \"## Settings\" section")
	}
	settings, _, _ = strings.Cut(settings, "\n## ")
	rows := map[string]string{} // flag → variable column
	re := regexp.MustCompile("(?m)^\\| `-([a-z0-9-]+)[^`]*` \\| ([^|]*)\\|")
	for _, m := range re.FindAllStringSubmatch(settings, -1) {
		rows[m[1]] = strings.TrimSpace(m[2])
	}
	flags := flagNames(t)
	for _, f := range flags {
		col, ok := rows[f]
		switch {
		case !ok:
			t.Errorf("-%s has no row in README's settings table", f)
		case !flagEnv.IsOneShot(f) && col != "`"+flagEnv.Name(f)+"`":
			t.Errorf("README row of -%s names the variable %s, want `%s`", f, col, flagEnv.Name(f))
		}
	}
	for f := range rows {
		if !slices.Contains(flags, f) {
			t.Errorf("README's settings table has -%s, which is no flag", f)
		}
	}
}

// unitSettings reads a unit file into key → values (keys repeat).
func unitSettings(text string) map[string][]string {
	m := map[string][]string{}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == '[' {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		m[k] = append(m[k], v)
	}
	return m
}

// The unit promises what README, install.sh and service.go rely on.
func TestUnitFile(t *testing.T) {
	u := unitSettings(readBoard(t, "homemmsc.service"))
	for k, want := range map[string]string{
		"Type": "notify", "NotifyAccess": "main", "ExecStart": "/usr/local/bin/homemmsc",
		"EnvironmentFile": "-/etc/default/homemmsc", "Restart": "on-failure",
		"User": "homemmsc", "StateDirectory": "homemmsc", "NoNewPrivileges": "yes",
		"ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
		"CapabilityBoundingSet": "", "SupplementaryGroups": "i2c dialout gpio",
		"DevicePolicy": "closed", "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX AF_NETLINK",
		"MemoryDenyWriteExecute": "yes", "LockPersonality": "yes", "StartLimitIntervalSec": "0",
	} {
		if got := u[k]; len(got) != 1 || got[0] != want {
			t.Errorf("%s=%q, want %q", k, got, want)
		}
	}
	for _, dev := range []string{"char-i2c rw", "char-ttyUSB rw", "char-ttyACM rw", "char-gpiochip rw"} {
		if !slices.Contains(u["DeviceAllow"], dev) {
			t.Errorf("no DeviceAllow=%s", dev)
		}
	}
	if len(u["ProtectClock"]) > 0 || len(u["ProcSubset"]) > 0 || len(u["PrivateDevices"]) > 0 {
		t.Error("ProtectClock, ProcSubset or PrivateDevices would break the clock check, periph or the devices")
	}
	if !slices.ContainsFunc(u["SystemCallFilter"], func(s string) bool { return strings.Contains(s, "adjtimex") }) {
		t.Error("SystemCallFilter does not allow adjtimex (the clock-sync check)")
	}
	checkWatchdog(t, u["WatchdogSec"])
}

// checkWatchdog: the process probes every WatchdogSec/2, and its listener
// probe alone may take a quarter: it needs seconds, not milliseconds.
func checkWatchdog(t *testing.T, v []string) {
	t.Helper()
	if len(v) != 1 || !strings.HasSuffix(v[0], "s") {
		t.Fatalf("WatchdogSec=%q, want one value in seconds", v)
	}
	sec, err := strconv.Atoi(strings.TrimSuffix(v[0], "s"))
	if err != nil || sec < 20 || sec > 600 {
		t.Errorf("WatchdogSec=%s, want 20s–600s", v[0])
	}
}

// systemd-analyze checks the unit's syntax, and scores its sandbox.
func TestUnitVerifies(t *testing.T) {
	analyze := needTool(t, "systemd-analyze", "systemd")
	dir := t.TempDir()
	bin := filepath.Join(dir, "homemmsc")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	// verify wants ExecStart to exist: point it at a stand-in.
	unit := strings.Replace(readBoard(t, "homemmsc.service"), "ExecStart=/usr/local/bin/homemmsc", "ExecStart="+bin, 1)
	path := filepath.Join(dir, "homemmsc.service")
	if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(analyze, "verify", "--man=no", path).CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	// --threshold is the exposure ×10: fail above 2.0 ("OK" ends at 4.9).
	out, err := exec.Command(analyze, "security", "--offline=true", "--threshold=20", "--man=no", path).CombinedOutput()
	score := regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+ \S+)`).FindSubmatch(out)
	if err != nil || score == nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	t.Logf("systemd-analyze security --offline: exposure %s", score[1])
}

// udevRule is one rule line: its key, operator and value triples.
var udevPair = regexp.MustCompile(`^([A-Z_]+)(\{[^}]+\})?(==|!=|\+=|-=|:=|=)"([^"]*)"$`)

func TestUdevRule(t *testing.T) {
	text := readBoard(t, "99-homemmsc-modem.rules")
	labels, gotos := map[string]bool{}, map[string]bool{}
	symlinks, ignores := 0, 0
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		for _, pair := range strings.Split(line, ", ") {
			m := udevPair.FindStringSubmatch(pair)
			if m == nil {
				t.Errorf("line %d: %q is not KEY{attr}OP\"value\"", n+1, pair)
				continue
			}
			switch {
			case m[1] == "LABEL":
				labels[m[4]] = true
			case m[1] == "GOTO":
				gotos[m[4]] = true
			case m[1] == "SYMLINK" && m[3] == "+=" && m[4] == "homemmsc-modem":
				symlinks++
			case m[1] == "ENV" && m[2] == "{ID_MM_DEVICE_IGNORE}" && m[3] == "=" && m[4] == "1":
				ignores++
			}
		}
	}
	for g := range gotos {
		if !labels[g] {
			t.Errorf("GOTO=%q has no LABEL", g)
		}
	}
	if symlinks < 6 || ignores < 4 {
		t.Errorf("%d SYMLINK+=homemmsc-modem and %d ID_MM_DEVICE_IGNORE rules, want a rule per known stick", symlinks, ignores)
	}
}

// installRoot is a fake Pi's file system for install.sh.
func installRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for path, content := range map[string]string{
		"proc/device-tree/model":   "Raspberry Pi 4 Model B Rev 1.5\x00",
		"boot/firmware/config.txt": "dtparam=audio=on\n#dtparam=i2c_arm=on\n",
	} {
		p := filepath.Join(root, path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// runInstall runs board/install.sh with ROOT=root (which implies
// --no-system) and returns its output.
func runInstall(t *testing.T, root string, extraEnv []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("sh", append([]string{filepath.Join(boardDir, "install.sh")}, args...)...)
	cmd.Env = append(append(os.Environ(), "ROOT="+root), extraEnv...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// wantFile checks a file's mode and, if want is not nil, its content.
func wantFile(t *testing.T, path string, mode os.FileMode, want []byte) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Error(err)
		return
	}
	if fi.Mode().Perm() != mode {
		t.Errorf("%s: mode %v, want %v", path, fi.Mode().Perm(), mode)
	}
	if want == nil {
		return
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, want) {
		t.Errorf("%s differs from its source", path)
	}
}

// stubBinary is a stand-in binary that answers -version.
func stubBinary(t *testing.T, version string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "homemmsc")
	if err := os.WriteFile(p, []byte("#!/bin/sh\necho "+version+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestInstallScript(t *testing.T) {
	root := installRoot(t)
	bin := stubBinary(t, "v1")
	out, err := runInstall(t, root, nil, "--binary", bin, "--enable-i2c")
	if err != nil {
		t.Fatalf("install.sh: %v\n%s", err, out)
	}
	for _, want := range []string{"Raspberry Pi 4 Model B Rev 1.5", "forward TCP port 8080", "/mms/<the phone's token>", "reboot"} {
		if !strings.Contains(out, want) {
			t.Errorf("install.sh output lacks %q:\n%s", want, out)
		}
	}
	checkInstalled(t, root, bin)

	// A second run upgrades the binary and keeps the owner's settings.
	defaults := filepath.Join(root, "etc/default/homemmsc")
	mine := []byte("HOMEMMSC_LISTEN=:8090\n")
	if err := os.WriteFile(defaults, mine, 0o600); err != nil {
		t.Fatal(err)
	}
	bin2 := stubBinary(t, "v2")
	if out, err := runInstall(t, root, nil, "--binary", bin2, "--enable-i2c"); err != nil {
		t.Fatalf("second install.sh: %v\n%s", err, out)
	} else if !strings.Contains(out, "forward TCP port 8090") {
		t.Errorf("second run does not use the owner's port:\n%s", out)
	}
	wantFile(t, filepath.Join(root, "usr/local/bin/homemmsc"), 0o755, mustRead(t, bin2))
	wantFile(t, defaults, 0o600, mine)
	if cfg := string(mustRead(t, filepath.Join(root, "boot/firmware/config.txt"))); strings.Count(cfg, "dtparam=i2c_arm=on") != 1 {
		t.Errorf("config.txt after two runs:\n%s", cfg)
	}

	out, err = runInstall(t, root, nil, "--uninstall")
	if err != nil {
		t.Fatalf("install.sh --uninstall: %v\n%s", err, out)
	}
	for _, gone := range []string{"usr/local/bin/homemmsc", "etc/systemd/system/homemmsc.service", "etc/udev/rules.d/99-homemmsc-modem.rules"} {
		if _, err := os.Stat(filepath.Join(root, gone)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("--uninstall left %s (%v)", gone, err)
		}
	}
	wantFile(t, defaults, 0o600, mine) // settings are kept
	wantFile(t, filepath.Join(root, "etc/homemmsc/phones"), 0o640, nil)
}

func checkInstalled(t *testing.T, root, bin string) {
	t.Helper()
	wantFile(t, filepath.Join(root, "usr/local/bin/homemmsc"), 0o755, mustRead(t, bin))
	wantFile(t, filepath.Join(root, "etc/systemd/system/homemmsc.service"), 0o644, []byte(readBoard(t, "homemmsc.service")))
	wantFile(t, filepath.Join(root, "etc/udev/rules.d/99-homemmsc-modem.rules"), 0o644, []byte(readBoard(t, "99-homemmsc-modem.rules")))
	wantFile(t, filepath.Join(root, "etc/default/homemmsc"), 0o600, []byte(readBoard(t, "homemmsc.default")))
	wantFile(t, filepath.Join(root, "etc/homemmsc"), 0o750, nil)
	wantFile(t, filepath.Join(root, "etc/homemmsc/phones"), 0o640, nil)
	wantFile(t, filepath.Join(root, "etc/modules-load.d/homemmsc-i2c.conf"), 0o644, []byte("i2c-dev\n"))
	cfg := string(mustRead(t, filepath.Join(root, "boot/firmware/config.txt")))
	if !strings.Contains(cfg, "\ndtparam=i2c_arm=on\n") || strings.Contains(cfg, "#dtparam=i2c_arm") {
		t.Errorf("config.txt does not turn I2C on:\n%s", cfg)
	}
	// The phones file parses: an empty list the appliance accepts.
	if _, err := phones.Load("@" + filepath.Join(root, "etc/homemmsc/phones")); err != nil {
		t.Errorf("installed phones file: %v", err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestInstallScriptBoards(t *testing.T) {
	for machine, suffix := range map[string]string{
		"armv6l": "armv6", "armv7l": "armv7", "armv8l": "armv7", "aarch64": "arm64",
	} {
		t.Run(machine, func(t *testing.T) {
			t.Parallel()
			root := installRoot(t)
			out, err := runInstall(t, root, []string{"UNAME_M=" + machine}, "--dry-run")
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if !strings.Contains(out, "homemmsc-linux-"+suffix) {
				t.Errorf("install.sh did not pick homemmsc-linux-%s:\n%s", suffix, out)
			}
			if _, err := os.Stat(filepath.Join(root, "usr/local/bin/homemmsc")); !errors.Is(err, os.ErrNotExist) {
				t.Error("--dry-run installed the binary")
			}
		})
	}
	out, err := runInstall(t, installRoot(t), []string{"UNAME_M=mips"}, "--dry-run")
	if err == nil || !strings.Contains(out, "no homemmsc binary for machine type mips") {
		t.Errorf("an unknown machine: %v\n%s", err, out)
	}
}

func TestInstallScriptShellcheck(t *testing.T) {
	sc := needTool(t, "shellcheck", "shellcheck")
	if out, err := exec.Command(sc, "-s", "sh", filepath.Join(boardDir, "install.sh")).CombinedOutput(); err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
}

// needTool finds the command name, or skips the test when it is not
// installed, except under CI (CI set), which must install Debian's pkg.
func needTool(t *testing.T, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s missing under CI (apt-get install %s)", name, pkg)
		}
		t.Skipf("%s not installed", name)
	}
	return path
}
