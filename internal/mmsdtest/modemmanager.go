package mmsdtest

import (
	"fmt"
	"sync"

	"github.com/godbus/dbus/v5"
)

// The ModemManager D-Bus API (ModemManager 1.20, the one Debian bookworm's
// libmm-glib speaks), as far as mmsd-tng uses it.
const (
	mmName      = "org.freedesktop.ModemManager1"
	mmPath      = dbus.ObjectPath("/org/freedesktop/ModemManager1")
	modemPath   = mmPath + "/Modem/0"
	simPath     = mmPath + "/SIM/0"
	bearerPath  = mmPath + "/Bearer/0"
	smsPathFmt  = "/org/freedesktop/ModemManager1/SMS/%d"
	ifModem     = mmName + ".Modem"
	ifMessaging = mmName + ".Modem.Messaging"
	ifSim       = mmName + ".Sim"
	ifBearer    = mmName + ".Bearer"
	ifSms       = mmName + ".Sms"
	ifObjMgr    = "org.freedesktop.DBus.ObjectManager"

	modemStateConnected = int32(11) // MM_MODEM_STATE_CONNECTED
	smsStateReceived    = uint32(3) // MM_SMS_STATE_RECEIVED
	smsPduDeliver       = uint32(1) // MM_SMS_PDU_TYPE_DELIVER
	smsStorageME        = uint32(2) // MM_SMS_STORAGE_ME
)

// ModemManager is a fake ModemManager with one modem: registered,
// connected on one bearer whose APN is apn over the network interface
// netif, and with an SMS inbox that Deliver fills. It serves the objects
// and calls mmsd-tng makes and refuses every other (see objects).
type ModemManager struct {
	conn *dbus.Conn
	obj  *objects

	mu      sync.Mutex
	sms     []dbus.ObjectPath // the messages in the inbox, oldest first
	next    int               // the next SMS object number
	deleted []dbus.ObjectPath // the messages the client deleted
}

// ModemConfig describes the fake's modem.
type ModemConfig struct {
	Number string // the SIM's own number, "+" and digits
	IMSI   string // if empty, 310410000000001: a US network, for +1 numbers
	APN    string // the connected bearer's APN; mmsd-tng sends only over its MMS_APN
	Netif  string // the bearer's network interface; if empty, "lo"
	DNS    string // the bearer's IPv4 DNS server; if empty, 127.0.0.1
}

// StartModemManager connects to the bus at addr, takes ModemManager's
// name there and serves one modem.
func StartModemManager(addr string, cfg ModemConfig) (*ModemManager, error) {
	if cfg.IMSI == "" {
		cfg.IMSI = "310410000000001" // mmsd-tng takes the country from the MCC
	}
	if cfg.Netif == "" {
		cfg.Netif = "lo"
	}
	if cfg.DNS == "" {
		cfg.DNS = "127.0.0.1"
	}
	m := &ModemManager{obj: newObjects()}
	conn, err := dbus.Connect(addr, dbus.WithHandler(m.obj))
	if err != nil {
		return nil, fmt.Errorf("mmsdtest: connecting the fake ModemManager: %w", err)
	}
	m.conn = conn
	m.publish(cfg)
	reply, err := conn.RequestName(mmName, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		conn.Close()
		return nil, fmt.Errorf("mmsdtest: taking %s: %v (reply %d)", mmName, err, reply)
	}
	return m, nil
}

// publish registers the manager, the modem, its SIM and its bearer.
func (m *ModemManager) publish(cfg ModemConfig) {
	o := m.obj
	o.handle(mmPath, ifObjMgr, "GetManagedObjects", "", func([]any) ([]any, *dbus.Error) {
		return []any{o.managed(mmPath)}, nil
	})
	o.setProps(modemPath, ifModem, map[string]dbus.Variant{
		"Sim":                 dbus.MakeVariant(simPath),
		"Bearers":             dbus.MakeVariant([]dbus.ObjectPath{bearerPath}),
		"MaxActiveBearers":    dbus.MakeVariant(uint32(1)),
		"MaxBearers":          dbus.MakeVariant(uint32(1)),
		"State":               dbus.MakeVariant(modemStateConnected),
		"StateFailedReason":   dbus.MakeVariant(uint32(0)),
		"OwnNumbers":          dbus.MakeVariant([]string{cfg.Number}),
		"Manufacturer":        dbus.MakeVariant("homemmsc"),
		"Model":               dbus.MakeVariant("mmsdtest fake modem"),
		"EquipmentIdentifier": dbus.MakeVariant("000000000000000"),
		"PrimaryPort":         dbus.MakeVariant("fake0"),
		"Device":              dbus.MakeVariant("/sys/devices/mmsdtest"),
		"UnlockRequired":      dbus.MakeVariant(uint32(1)), // MM_MODEM_LOCK_NONE
		"PowerState":          dbus.MakeVariant(uint32(3)), // MM_MODEM_POWER_STATE_ON
	})
	o.setProps(modemPath, ifMessaging, map[string]dbus.Variant{
		"Messages":          dbus.MakeVariant([]dbus.ObjectPath{}),
		"SupportedStorages": dbus.MakeVariant([]uint32{smsStorageME}),
		"DefaultStorage":    dbus.MakeVariant(smsStorageME),
	})
	o.handle(modemPath, ifMessaging, "Delete", "o", func(args []any) ([]any, *dbus.Error) {
		return nil, m.delete(args[0].(dbus.ObjectPath))
	})
	o.setProps(simPath, ifSim, map[string]dbus.Variant{
		"Imsi":               dbus.MakeVariant(cfg.IMSI),
		"SimIdentifier":      dbus.MakeVariant("89001010000000000001"),
		"OperatorIdentifier": dbus.MakeVariant(cfg.IMSI[:6]),
		"OperatorName":       dbus.MakeVariant("Test Network"),
		"Active":             dbus.MakeVariant(true),
	})
	o.setProps(bearerPath, ifBearer, map[string]dbus.Variant{
		"Interface": dbus.MakeVariant(cfg.Netif),
		"Connected": dbus.MakeVariant(true),
		"Suspended": dbus.MakeVariant(false),
		"Ip4Config": dbus.MakeVariant(map[string]dbus.Variant{
			"method":  dbus.MakeVariant(uint32(2)), // MM_BEARER_IP_METHOD_STATIC
			"address": dbus.MakeVariant("127.0.0.1"),
			"prefix":  dbus.MakeVariant(uint32(8)),
			"dns1":    dbus.MakeVariant(cfg.DNS),
		}),
		"Ip6Config":  dbus.MakeVariant(map[string]dbus.Variant{}),
		"Properties": dbus.MakeVariant(map[string]dbus.Variant{"apn": dbus.MakeVariant(cfg.APN)}),
		"BearerType": dbus.MakeVariant(uint32(1)), // MM_BEARER_TYPE_DEFAULT
	})
}

// Deliver puts a received SMS holding data (8-bit user data, its header
// stripped and its parts joined, as ModemManager stores a WAP push) in the
// modem's inbox and signals it, as ModemManager does when the last part
// of a message arrives.
func (m *ModemManager) Deliver(from string, data []byte) error {
	m.mu.Lock()
	path := dbus.ObjectPath(fmt.Sprintf(smsPathFmt, m.next))
	m.next++
	m.obj.setProps(path, ifSms, map[string]dbus.Variant{
		"State":     dbus.MakeVariant(smsStateReceived),
		"PduType":   dbus.MakeVariant(smsPduDeliver),
		"Number":    dbus.MakeVariant(from),
		"Text":      dbus.MakeVariant(""),
		"Data":      dbus.MakeVariant(data),
		"Storage":   dbus.MakeVariant(smsStorageME),
		"Timestamp": dbus.MakeVariant("2026-01-01T00:00:00+00:00"),
	})
	m.sms = append(m.sms, path)
	list := append([]dbus.ObjectPath(nil), m.sms...)
	m.mu.Unlock()
	m.messagesChanged(list)
	return m.conn.Emit(modemPath, ifMessaging+".Added", path, true)
}

// messagesChanged updates the Messaging.Messages property and signals it.
func (m *ModemManager) messagesChanged(list []dbus.ObjectPath) {
	m.obj.mu.Lock()
	m.obj.props[modemPath][ifMessaging]["Messages"] = dbus.MakeVariant(list)
	m.obj.mu.Unlock()
	m.conn.Emit(modemPath, propsIface+".PropertiesChanged", ifMessaging,
		map[string]dbus.Variant{"Messages": dbus.MakeVariant(list)}, []string{})
}

// delete removes a message from the inbox, as Messaging.Delete does.
func (m *ModemManager) delete(path dbus.ObjectPath) *dbus.Error {
	m.mu.Lock()
	i := -1
	for j, p := range m.sms {
		if p == path {
			i = j
		}
	}
	if i < 0 {
		m.mu.Unlock()
		return dbus.NewError("org.freedesktop.ModemManager1.Error.Core.NotFound", []any{"no such SMS " + string(path)})
	}
	m.sms = append(m.sms[:i], m.sms[i+1:]...)
	list := append([]dbus.ObjectPath{}, m.sms...)
	m.deleted = append(m.deleted, path)
	m.mu.Unlock()
	m.obj.mu.Lock()
	delete(m.obj.props, path)
	m.obj.mu.Unlock()
	m.messagesChanged(list)
	m.conn.Emit(modemPath, ifMessaging+".Deleted", path)
	return nil
}

// Deleted returns the SMS objects the client deleted, oldest first.
func (m *ModemManager) Deleted() []dbus.ObjectPath {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]dbus.ObjectPath(nil), m.deleted...)
}

// Refused returns every call the fake refused: a call mmsd-tng made that
// the fake does not know. A test fails when it is not empty.
func (m *ModemManager) Refused() []string { return m.obj.refusedCalls() }

// Calls returns every call the fake answered, in order.
func (m *ModemManager) Calls() []string {
	m.obj.mu.Lock()
	defer m.obj.mu.Unlock()
	return append([]string(nil), m.obj.calls...)
}

// Close releases the name and the connection.
func (m *ModemManager) Close() error { return m.conn.Close() }
