package mmsdtest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Bus is a private dbus-daemon: mmsd-tng looks for ModemManager on the
// system bus and offers org.ofono.mms on the session bus, and GLib takes
// both from DBUS_SYSTEM_BUS_ADDRESS and DBUS_SESSION_BUS_ADDRESS, so one
// private bus serves as both for one phone.
type Bus struct {
	Addr string // the bus address, unix:path=…
	cmd  *exec.Cmd
	log  syncBuffer
}

// Log returns what the daemon printed (as a user it warns that it cannot
// raise its file limit).
func (b *Bus) Log() string { return b.log.String() }

// busConfig is a session-bus configuration that lets every connection of
// this user own any name and call anything: the bus is the test's own.
const busConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

// StartBus starts dbus-daemon with its socket in dir and waits until it
// listens. Stop it with Close.
func StartBus(dir string) (*Bus, error) {
	daemon, err := exec.LookPath("dbus-daemon")
	if err != nil {
		return nil, fmt.Errorf("mmsdtest: %w (Debian package dbus-daemon)", err)
	}
	sock := filepath.Join(dir, "bus")
	conf := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, busConfig, sock), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(daemon, "--config-file="+conf, "--nofork", "--nopidfile", "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	b := &Bus{cmd: cmd}
	cmd.Stderr = &b.log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("mmsdtest: starting dbus-daemon: %w", err)
	}
	addr := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		addr <- strings.TrimSpace(line)
	}()
	select {
	case a := <-addr:
		if a == "" {
			cmd.Process.Kill()
			cmd.Wait()
			return nil, fmt.Errorf("mmsdtest: dbus-daemon printed no address: %s", b.Log())
		}
		b.Addr = a
		return b, nil
	case <-time.After(30 * time.Second): // only a guard against a hang
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("mmsdtest: dbus-daemon did not start in 30 s")
	}
}

// Close stops the daemon.
func (b *Bus) Close() error {
	b.cmd.Process.Kill()
	b.cmd.Wait()
	return nil
}
