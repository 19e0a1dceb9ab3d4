package mmsdtest

import (
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/godbus/dbus/v5"
)

// startMM starts a bus and the fake alone, with a client connection.
func startMM(t *testing.T) (*ModemManager, *dbus.Conn) {
	t.Helper()
	if _, err := exec.LookPath("dbus-daemon"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("dbus-daemon missing; CI must install it")
		}
		t.Skip("dbus-daemon missing (Debian package dbus-daemon)")
	}
	bus, err := StartBus(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bus.Close() })
	mm, err := StartModemManager(bus.Addr, ModemConfig{Number: "+15551110001", APN: "apn.test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mm.Close() })
	c, err := dbus.Connect(bus.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return mm, c
}

// The fake refuses, and records, what it does not serve: an unknown
// method, an unknown interface's properties, a known method with other
// arguments, a property write.
func TestModemManagerStrict(t *testing.T) {
	mm, c := startMM(t)
	modem := c.Object(mmName, modemPath)
	for _, call := range []*dbus.Call{
		modem.Call(ifMessaging+".List", 0),
		modem.Call(ifMessaging+".Delete", 0, "not a path"),
		modem.Call(ifModem+".Enable", 0, true),
		modem.Call(propsIface+".GetAll", 0, ifMmLocation),
		modem.Call(propsIface+".Set", 0, ifModem, "State", dbus.MakeVariant(int32(3))),
		c.Object(mmName, "/nowhere").Call(ifModem+".Reset", 0),
	} {
		if call.Err == nil {
			t.Errorf("%s answered without error", call.Method)
		}
	}
	if r := mm.Refused(); len(r) != 6 {
		t.Errorf("refused %d calls, want 6: %q", len(r), r)
	}
	if calls := mm.Calls(); len(calls) != 0 {
		t.Errorf("answered %q", calls)
	}
}

const ifMmLocation = mmName + ".Modem.Location"

// What ModemManager does with a received SMS: the object appears with its
// data, Messaging.Added and the Messages property say so; Delete takes it
// away, and a second Delete of it fails.
func TestModemManagerDeliver(t *testing.T) {
	mm, c := startMM(t)
	sigs := make(chan *dbus.Signal, 8)
	c.Signal(sigs)
	if err := c.AddMatchSignal(dbus.WithMatchInterface(ifMessaging)); err != nil {
		t.Fatal(err)
	}
	if err := mm.Deliver("+15550009999", []byte{1, 6, 3, 0xBE, 0xAF, 0x84}); err != nil {
		t.Fatal(err)
	}
	s := <-sigs
	for s.Name == "org.freedesktop.DBus.NameAcquired" {
		s = <-sigs
	}
	if s.Name != ifMessaging+".Added" || len(s.Body) != 2 || s.Body[1] != true {
		t.Fatalf("signal %s %v", s.Name, s.Body)
	}
	path := s.Body[0].(dbus.ObjectPath)
	var data []byte
	if err := c.Object(mmName, path).StoreProperty(ifSms+".Data", &data); err != nil || len(data) != 6 {
		t.Errorf("Data %x, %v", data, err)
	}
	var objs map[dbus.ObjectPath]map[string]map[string]dbus.Variant
	if err := c.Object(mmName, mmPath).Call(ifObjMgr+".GetManagedObjects", 0).Store(&objs); err != nil {
		t.Fatal(err)
	}
	if msgs := objs[modemPath][ifMessaging]["Messages"].Value(); !slices.Equal(msgs.([]dbus.ObjectPath), []dbus.ObjectPath{path}) {
		t.Errorf("Messages %v", msgs)
	}
	modem := c.Object(mmName, modemPath)
	if err := modem.Call(ifMessaging+".Delete", 0, path).Err; err != nil {
		t.Fatal(err)
	}
	if err := modem.Call(ifMessaging+".Delete", 0, path).Err; err == nil {
		t.Error("second Delete answered without error")
	}
	if d := mm.Deleted(); len(d) != 1 || d[0] != path {
		t.Errorf("Deleted %v", d)
	}
}

// The real mmsd-tng finds the modem, its SIM and its bearer, and offers
// its MMS service, making no call the fake refuses.
func TestPhoneStarts(t *testing.T) {
	p, err := StartPhone(t.TempDir(), PhoneConfig{Number: "+15551110001", MMSC: "http://127.0.0.1:9/mms/tok"})
	if errors.Is(err, ErrNoMmsd) {
		if os.Getenv("CI") != "" {
			t.Fatalf("%v; CI must install it", err)
		}
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	calls := strings.Join(p.MM.Calls(), "\n")
	for _, want := range []string{ifObjMgr + ".GetManagedObjects", ifSim} {
		if !strings.Contains(calls, want) {
			t.Errorf("mmsd-tng did not ask for %s; it made:\n%s", want, calls)
		}
	}
	if r := p.MM.Refused(); len(r) > 0 {
		t.Errorf("refused %q\n%s", r, p.Log())
	}
}
