package mmsdtest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/godbus/dbus/v5"
)

// mmsd-tng's own D-Bus API (its doc/ folder, and the interfaces
// "mmsdtng" introspects as), the one Chatty drives.
const (
	mmsName     = "org.ofono.mms"
	mmsManager  = dbus.ObjectPath("/org/ofono/mms")
	ifManager   = mmsName + ".Manager"
	ifService   = mmsName + ".Service"
	ifMessage   = mmsName + ".Message"
	servicePath = dbus.ObjectPath("/org/ofono/mms/modemmanager")
	settingsAPN = "mms.homemmsc.test"
)

// Phone is one Linux phone's MMS stack: the Debian mmsd-tng daemon on its
// own private bus, with the fake ModemManager as its modem and $HOME in
// its own directory.
type Phone struct {
	Number string
	MM     *ModemManager

	bus    *Bus
	conn   *dbus.Conn // the test's client connection, as Chatty's
	cmd    *exec.Cmd
	home   string
	log    syncBuffer
	exited chan struct{}

	sends   int // SendMessage calls, to name their attachment files
	sigs    chan *dbus.Signal
	mu      sync.Mutex
	seen    []*dbus.Signal // every signal of mmsd-tng's, in order
	changed chan struct{}  // closed and replaced when a signal arrives
}

// PhoneConfig is what the phone's owner would type into Chatty's MMS
// settings.
type PhoneConfig struct {
	Number string // the SIM's number
	MMSC   string // the MMSC URL: the phone's token URL on the appliance
}

// ErrNoMmsd is returned when mmsdtng is not installed.
var ErrNoMmsd = errors.New("mmsdtest: mmsdtng not found (Debian package mmsd-tng)")

// StartPhone starts a bus, the fake ModemManager and mmsd-tng in dir, and
// waits until mmsd-tng offers its MMS service.
func StartPhone(dir string, cfg PhoneConfig) (*Phone, error) {
	bin, err := LookPath()
	if err != nil {
		return nil, err
	}
	p := &Phone{Number: cfg.Number, home: filepath.Join(dir, "home"), exited: make(chan struct{}),
		sigs: make(chan *dbus.Signal, 64), changed: make(chan struct{})}
	if err := p.writeSettings(cfg.MMSC); err != nil {
		return nil, err
	}
	if p.bus, err = StartBus(dir); err != nil {
		return nil, err
	}
	if p.MM, err = StartModemManager(p.bus.Addr, ModemConfig{Number: cfg.Number, APN: settingsAPN}); err != nil {
		p.Close()
		return nil, err
	}
	if err := p.connect(); err != nil {
		p.Close()
		return nil, err
	}
	p.cmd = exec.Command(bin, "-d")
	p.cmd.Env = append(os.Environ(), "HOME="+p.home,
		"DBUS_SESSION_BUS_ADDRESS="+p.bus.Addr, "DBUS_SYSTEM_BUS_ADDRESS="+p.bus.Addr)
	p.cmd.Stdout, p.cmd.Stderr = &p.log, &p.log
	if err := p.cmd.Start(); err != nil {
		p.Close()
		return nil, fmt.Errorf("mmsdtest: starting mmsdtng: %w", err)
	}
	go func() { p.cmd.Wait(); close(p.exited) }()
	if err := p.waitService(); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// writeSettings writes mmsd-tng's settings file, as Chatty's MMS settings
// page does: the MMSC, an APN the fake's bearer matches, no proxy; SMS WAP
// pushes processed by mmsd-tng itself; c-ares for DNS, since there is no
// systemd-resolved on the private bus.
func (p *Phone) writeSettings(mmsc string) error {
	dir := filepath.Join(p.home, ".mms", "modemmanager")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	s := fmt.Sprintf(`[Modem Manager]
CarrierMMSC=%s
MMS_APN=%s
CarrierMMSProxy=NULL
DefaultModemNumber=NULL
AutoProcessOnConnection=true
AutoProcessSMSWAP=true

[Settings]
UseDeliveryReports=false
AutoCreateSMIL=false
ForceCAres=true
TotalMaxAttachmentSize=1100000
MaxAttachments=25
`, mmsc, settingsAPN)
	return os.WriteFile(filepath.Join(dir, "mms"), []byte(s), 0o600)
}

// connect opens the test's client connection and listens to mmsd-tng's
// signals.
func (p *Phone) connect() error {
	conn, err := dbus.Connect(p.bus.Addr)
	if err != nil {
		return fmt.Errorf("mmsdtest: client connection: %w", err)
	}
	p.conn = conn
	if err := conn.AddMatchSignal(dbus.WithMatchSender(mmsName)); err != nil {
		return err
	}
	conn.Signal(p.sigs)
	go p.collect()
	return nil
}

func (p *Phone) collect() {
	for s := range p.sigs {
		p.mu.Lock()
		p.seen = append(p.seen, s)
		close(p.changed)
		p.changed = make(chan struct{})
		p.mu.Unlock()
	}
}

// waitService waits until mmsd-tng lists its modemmanager service.
func (p *Phone) waitService() error {
	guard := time.After(30 * time.Second) // only a guard against a hang
	for {
		var svcs []struct {
			Path  dbus.ObjectPath
			Props map[string]dbus.Variant
		}
		err := p.conn.Object(mmsName, mmsManager).Call(ifManager+".GetServices", 0).Store(&svcs)
		for _, s := range svcs {
			if s.Path == servicePath {
				return nil
			}
		}
		select {
		case <-p.exited:
			return fmt.Errorf("mmsdtest: mmsdtng exited: %v\n%s", p.cmd.ProcessState, p.Log())
		case <-guard:
			return fmt.Errorf("mmsdtest: mmsdtng offers no %s after 30 s (last error %v)\n%s", servicePath, err, p.Log())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Log returns what mmsd-tng printed so far (it runs with -d).
func (p *Phone) Log() string { return p.log.String() }

// Close stops mmsd-tng, the fake and the bus.
func (p *Phone) Close() {
	if p.cmd != nil && p.cmd.Process != nil {
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(10 * time.Second):
			p.cmd.Process.Kill()
			<-p.exited
		}
	}
	if p.conn != nil {
		p.conn.Close()
	}
	if p.MM != nil {
		p.MM.Close()
	}
	if p.bus != nil {
		p.bus.Close()
	}
}

// syncBuffer is a bytes.Buffer safe for the process's writes and the
// test's reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// LookPath returns the path of mmsdtng, or ErrNoMmsd.
func LookPath() (string, error) {
	if p, err := exec.LookPath("mmsdtng"); err == nil {
		return p, nil
	}
	return "", ErrNoMmsd
}
