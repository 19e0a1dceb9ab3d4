package mmsdtest

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/godbus/dbus/v5"
)

// objects is a strict table of D-Bus objects, a dbus.Handler: a call to a
// path, interface or method it does not hold, or with another signature
// than the one registered, is answered with a D-Bus error and recorded, so
// that the test fails on it rather than on whatever the client does next.
// Properties are served from the table too (Get and GetAll only: nothing
// in mmsd-tng sets a ModemManager property).
type objects struct {
	mu      sync.Mutex
	props   map[dbus.ObjectPath]map[string]map[string]dbus.Variant
	methods map[dbus.ObjectPath]map[string]map[string]method
	calls   []string // every call answered, "iface.Member path"
	refused []string // every call refused, with why
}

// method is one registered method: the signature its arguments must have,
// and what it does with them.
type method struct {
	in string
	fn func(args []any) ([]any, *dbus.Error)
}

func newObjects() *objects {
	return &objects{
		props:   map[dbus.ObjectPath]map[string]map[string]dbus.Variant{},
		methods: map[dbus.ObjectPath]map[string]map[string]method{},
	}
}

const propsIface = "org.freedesktop.DBus.Properties"

// setProps adds or replaces an interface's properties on a path, which
// makes the interface exist there.
func (o *objects) setProps(path dbus.ObjectPath, iface string, p map[string]dbus.Variant) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.props[path] == nil {
		o.props[path] = map[string]map[string]dbus.Variant{}
	}
	o.props[path][iface] = p
}

// handle registers a method; in is its D-Bus argument signature.
func (o *objects) handle(path dbus.ObjectPath, iface, member, in string, fn func(args []any) ([]any, *dbus.Error)) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.methods[path] == nil {
		o.methods[path] = map[string]map[string]method{}
	}
	if o.methods[path][iface] == nil {
		o.methods[path][iface] = map[string]method{}
	}
	o.methods[path][iface][member] = method{in: in, fn: fn}
}

// managed returns every path's interfaces and properties, for
// GetManagedObjects, without the root.
func (o *objects) managed(root dbus.ObjectPath) map[dbus.ObjectPath]map[string]map[string]dbus.Variant {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := map[dbus.ObjectPath]map[string]map[string]dbus.Variant{}
	for path, ifaces := range o.props {
		if path == root || !strings.HasPrefix(string(path), string(root)+"/") {
			continue
		}
		out[path] = map[string]map[string]dbus.Variant{}
		for iface, p := range ifaces {
			out[path][iface] = p
		}
	}
	return out
}

// refusedCalls returns the calls the table refused, sorted.
func (o *objects) refusedCalls() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	r := append([]string(nil), o.refused...)
	sort.Strings(r)
	return r
}

// LookupObject implements dbus.Handler.
func (o *objects) LookupObject(path dbus.ObjectPath) (dbus.ServerObject, bool) {
	return object{o, path}, true // every refusal is decided, and recorded, below
}

type object struct {
	o    *objects
	path dbus.ObjectPath
}

func (ob object) LookupInterface(name string) (dbus.Interface, bool) {
	return iface{ob, name}, true
}

type iface struct {
	ob   object
	name string
}

func (i iface) LookupMethod(member string) (dbus.Method, bool) {
	return call{i, member}, true
}

// call is one incoming call; it decodes nothing itself and is checked
// against the table when it runs.
type call struct {
	i      iface
	member string
}

// DecodeArguments implements dbus.ArgumentDecoder: the body as sent, with
// its signature checked in Call.
func (c call) DecodeArguments(_ *dbus.Conn, _ string, msg *dbus.Message, body []any) ([]any, error) {
	sig, _ := msg.Headers[dbus.FieldSignature].Value().(dbus.Signature)
	return append([]any{sig.String()}, body...), nil
}

func (c call) Call(args ...any) ([]any, error) {
	sig, body := args[0].(string), args[1:]
	o, path, ifc := c.i.ob.o, c.i.ob.path, c.i.name
	what := fmt.Sprintf("%s.%s(%s) on %s", ifc, c.member, sig, path)
	if ifc == propsIface {
		return o.property(what, path, c.member, sig, body)
	}
	o.mu.Lock()
	m, ok := o.methods[path][ifc][c.member]
	o.mu.Unlock()
	if !ok {
		return nil, o.refuse(what, "org.freedesktop.DBus.Error.UnknownMethod", "not in the fake")
	}
	if sig != m.in {
		return nil, o.refuse(what, "org.freedesktop.DBus.Error.InvalidArgs", "want signature "+m.in)
	}
	o.answered(what)
	ret, err := m.fn(body)
	if err != nil {
		return nil, err
	}
	return ret, nil
}

// property serves Get and GetAll from the table.
func (o *objects) property(what string, path dbus.ObjectPath, member, sig string, body []any) ([]any, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case member == "GetAll" && sig == "s":
		p, ok := o.props[path][body[0].(string)]
		if !ok {
			return nil, o.refuseLocked(what+" "+body[0].(string), "org.freedesktop.DBus.Error.UnknownInterface", "not in the fake")
		}
		o.calls = append(o.calls, what+" "+body[0].(string))
		return []any{p}, nil
	case member == "Get" && sig == "ss":
		v, ok := o.props[path][body[0].(string)][body[1].(string)]
		if !ok {
			return nil, o.refuseLocked(what+" "+body[0].(string)+"."+body[1].(string), "org.freedesktop.DBus.Error.UnknownProperty", "not in the fake")
		}
		o.calls = append(o.calls, what+" "+body[0].(string)+"."+body[1].(string))
		return []any{v}, nil
	}
	return nil, o.refuseLocked(what, "org.freedesktop.DBus.Error.UnknownMethod", "the fake's properties are read-only")
}

func (o *objects) answered(what string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls = append(o.calls, what)
}

func (o *objects) refuse(what, name, why string) *dbus.Error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.refuseLocked(what, name, why)
}

func (o *objects) refuseLocked(what, name, why string) *dbus.Error {
	o.refused = append(o.refused, what+": "+why)
	return dbus.NewError(name, []any{"mmsdtest: " + what + ": " + why})
}

// The rest of dbus.Method, which godbus uses only without an
// ArgumentDecoder (arguments) and for introspection (returns).
func (c call) NumArguments() int     { return 0 }
func (c call) NumReturns() int       { return 0 }
func (c call) ArgumentValue(int) any { return nil }
func (c call) ReturnValue(int) any   { return nil }
