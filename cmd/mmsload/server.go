package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// A server is one running target of the load: our appliance or the seed
// page under Apache, started on a free loopback port.
type server struct {
	Name    string
	URL     string  // POST here
	Procs   procSet // what to measure
	DataDir string  // where its stored messages land
	Strict  bool    // its replies are real M-Send.conf (see loadSpec.Strict)
	IdleKB  int64   // resident memory once started and idle; 0 if not measured
	stop    func() error
	cleanup func()
}

// Stop stops the server; its data stays until Cleanup.
func (s *server) Stop() error { return s.stop() }

// Cleanup deletes everything the server left behind.
func (s *server) Cleanup() { s.cleanup() }

// freePort returns a TCP port that was free on 127.0.0.1 a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitListening waits until something accepts TCP connections on addr.
func waitListening(ctx context.Context, addr string, exited <-chan struct{}) error {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-exited:
			return errors.New("exited before listening")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("nothing listening on %s after 15s", addr)
}

// repoRoot walks up from the working directory to the directory that
// holds go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// buildAppliance builds cmd/appliance into dir and returns its path, the
// way `make build` does (static, stripped), so that the figures are those
// of the binary users run.
func buildAppliance(ctx context.Context, root, dir string) (string, error) {
	bin := filepath.Join(dir, "appliance")
	cmd := exec.CommandContext(ctx, goTool(), "build", "-trimpath",
		"-ldflags", "-s -w -X main.version=mmsload-build", "-o", bin, "./cmd/appliance")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/appliance: %v\n%s", err, out)
	}
	return bin, nil
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "/usr/local/go/bin/go"
}

// startAppliance runs our binary with a fresh data directory under base
// ("" for the system's temporary directory; fsync on: the store always
// syncs) and the open endpoint on.
func startAppliance(ctx context.Context, bin, base string) (*server, error) {
	return startBinary(ctx, base, "homemmsc", "/mms?n=%2B15551230000", func(addr, data string) *exec.Cmd {
		// The load comes from one address: the per-client guards, made
		// for the internet, would refuse most of it.
		return exec.Command(bin, "-listen", addr, "-data", data, "-open=on", "-log-level", "warn", "-rate=0", "-conns-per-client=0")
	})
}

// startFloorHTTP runs the HTTP floor (this binary in its floor-http
// mode) with a fresh data directory under base.
func startFloorHTTP(ctx context.Context, self, base string) (*server, error) {
	return startBinary(ctx, base, "http-floor", "/mms", func(addr, data string) *exec.Cmd {
		return exec.Command(self, modeFloorHTTP, "-listen", addr, "-data", data)
	})
}

// startBinary starts the command that command makes for a free
// loopback address and a data directory in a new directory under base,
// waits until it listens, and reads its idle size.
func startBinary(ctx context.Context, base, name, path string, command func(addr, data string) *exec.Cmd) (*server, error) {
	work, err := os.MkdirTemp(base, "mmsload-"+name+"-")
	if err != nil {
		return nil, err
	}
	cleanup := func() { os.RemoveAll(work) }
	port, err := freePort()
	if err != nil {
		cleanup()
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	data := filepath.Join(work, "data")
	logf, err := os.Create(filepath.Join(work, name+".log"))
	if err != nil {
		cleanup()
		return nil, err
	}
	cmd := command(addr, data)
	cmd.Env = cleanEnv()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		cleanup()
		return nil, err
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); logf.Close(); close(exited) }()
	s := &server{
		Name: name, URL: "http://" + addr + path,
		Procs: procSet{root: cmd.Process.Pid}, DataDir: data, Strict: true,
		cleanup: cleanup,
	}
	s.stop = func() error { return stopProcess(cmd.Process, exited, &waitErr) }
	if err := waitListening(ctx, addr, exited); err != nil {
		s.stop()
		log, _ := os.ReadFile(filepath.Join(work, name+".log"))
		cleanup()
		return nil, fmt.Errorf("%s: %v\n%s", name, err, log)
	}
	time.Sleep(time.Second) // let it settle before reading its idle size
	s.IdleKB, _ = statusKB(cmd.Process.Pid, "VmRSS")
	return s, nil
}

// cleanEnv is the environment without HOMEMMSC_* settings, so that only
// the flags given here configure the binary.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HOMEMMSC_") {
			env = append(env, kv)
		}
	}
	return env
}

// stopProcess sends SIGTERM, waits for a clean exit and kills after 15 s.
func stopProcess(p *os.Process, exited <-chan struct{}, waitErr *error) error {
	select {
	case <-exited:
		return fmt.Errorf("exited early: %v", *waitErr)
	default:
	}
	_ = p.Signal(syscall.SIGTERM)
	select {
	case <-exited:
		if *waitErr != nil {
			return fmt.Errorf("exit after SIGTERM: %v", *waitErr)
		}
		return nil
	case <-time.After(15 * time.Second):
		_ = p.Kill()
		<-exited
		return errors.New("did not exit within 15s of SIGTERM; killed")
	}
}

// seedAvailable reports why the seed page cannot run here, or "".
func seedAvailable(seedDir string) string {
	if _, err := os.Stat("/usr/sbin/apache2"); err != nil {
		return "/usr/sbin/apache2 is not installed (apt-get install -y apache2 libapache2-mod-php php-cli)"
	}
	if _, err := os.Stat("/usr/lib/apache2/modules/libphp8.2.so"); err != nil {
		return "mod_php 8.2 is not installed (apt-get install -y libapache2-mod-php)"
	}
	if _, err := os.Stat(filepath.Join(seedDir, "start.sh")); err != nil {
		return "the seed page is not at " + seedDir
	}
	return ""
}

// startSeed copies the seed page to a new writable directory under base
// (the shared one is read-only in CI; base "" is the system's temporary
// directory) and starts it with its own start.sh.
func startSeed(ctx context.Context, seedDir, base string) (*server, error) {
	work, err := os.MkdirTemp(base, "mmsload-seed-")
	if err != nil {
		return nil, err
	}
	cleanup := func() { os.RemoveAll(work) }
	// Apache's children run as www-data: they must reach htdocs.
	if err := os.Chmod(work, 0o755); err != nil {
		cleanup()
		return nil, err
	}
	if err := copySeed(seedDir, work); err != nil {
		cleanup()
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		cleanup()
		return nil, err
	}
	if out, err := exec.CommandContext(ctx, "bash", filepath.Join(work, "start.sh"), strconv.Itoa(port)).CombinedOutput(); err != nil {
		cleanup()
		return nil, fmt.Errorf("seed start.sh: %v\n%s", err, out)
	}
	pidb, err := os.ReadFile(filepath.Join(work, "run", "httpd.pid"))
	pid, perr := strconv.Atoi(strings.TrimSpace(string(pidb)))
	stop := func() error {
		out, err := exec.Command("bash", filepath.Join(work, "stop.sh")).CombinedOutput()
		if err != nil {
			return fmt.Errorf("seed stop.sh: %v: %s", err, out)
		}
		return nil
	}
	if err != nil || perr != nil {
		stop()
		cleanup()
		return nil, fmt.Errorf("seed pid file: %v %v", err, perr)
	}
	return &server{
		Name: "seed-php", URL: fmt.Sprintf("http://127.0.0.1:%d/mms.php?n=15551230000", port),
		Procs: procSet{root: pid, tree: true}, DataDir: filepath.Join(work, "htdocs", "mms"),
		stop: stop,
		cleanup: func() {
			exec.Command("bash", filepath.Join(work, "stop.sh"), "--clean").Run()
			cleanup()
		},
	}, nil
}

// copySeed copies the seed page's scripts, config and htdocs, without any
// run/ or stored messages a manual run left behind.
func copySeed(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if rel == "run" || rel == filepath.Join("htdocs", "mms") {
			return fs.SkipDir
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o755)
	})
}
