package metrics

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Type is a metric family's TYPE.
type Type string

// The types this package writes.
const (
	TypeCounter Type = "counter"
	TypeGauge   Type = "gauge"
)

// Label is one name="value" pair of a sample.
type Label struct{ Name, Value string }

// Sample is one series of a Func family at one scrape.
type Sample struct {
	Labels []Label // names as declared by the family, in any order
	Value  float64
}

// Counter is a monotonically increasing count.
type Counter struct{ v atomic.Uint64 }

// Inc adds one.
func (c *Counter) Inc() { c.v.Add(1) }

// Add adds n.
func (c *Counter) Add(n uint64) { c.v.Add(n) }

// Value is the current count.
func (c *Counter) Value() uint64 { return c.v.Load() }

// Gauge is a value that goes up and down.
type Gauge struct{ bits atomic.Uint64 }

// Set sets the gauge to v.
func (g *Gauge) Set(v float64) { g.bits.Store(math.Float64bits(v)) }

// Add adds d (which may be negative).
func (g *Gauge) Add(d float64) {
	for {
		old := g.bits.Load()
		if g.bits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+d)) {
			return
		}
	}
}

// Value is the current value.
func (g *Gauge) Value() float64 { return math.Float64frombits(g.bits.Load()) }

// family is one metric name with its HELP, TYPE and series.
type family struct {
	name, help string
	typ        Type
	labels     []string // label names of the series

	mu       sync.Mutex
	counters map[string]*Counter // by joined label values
	gauges   map[string]*Gauge
	fn       func() []Sample
}

// Registry holds metric families in the order they were registered.
// Its zero value is not usable: call NewRegistry.
type Registry struct {
	mu     sync.Mutex
	fams   []*family
	byName map[string]bool
	hooks  []func() // run at the start of each scrape
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{byName: map[string]bool{}} }

var (
	metricNameRE = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	labelNameRE  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// add registers f; a bad or duplicate name is a programming error.
func (r *Registry) add(f *family) *family {
	if !metricNameRE.MatchString(f.name) {
		panic(fmt.Sprintf("metrics: invalid metric name %q", f.name))
	}
	for i, l := range f.labels {
		if !labelNameRE.MatchString(l) || strings.HasPrefix(l, "__") || slices.Contains(f.labels[:i], l) {
			panic(fmt.Sprintf("metrics: %s: invalid or repeated label name %q", f.name, l))
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byName[f.name] {
		panic(fmt.Sprintf("metrics: %s registered twice", f.name))
	}
	r.byName[f.name] = true
	r.fams = append(r.fams, f)
	return f
}

// Counter registers an unlabelled counter.
func (r *Registry) Counter(name, help string) *Counter {
	return r.CounterVec(name, help).With()
}

// Gauge registers an unlabelled gauge.
func (r *Registry) Gauge(name, help string) *Gauge {
	return r.GaugeVec(name, help).With()
}

// CounterVec registers a counter family with the given label names.
func (r *Registry) CounterVec(name, help string, labels ...string) *CounterVec {
	f := r.add(&family{name: name, help: help, typ: TypeCounter, labels: labels, counters: map[string]*Counter{}})
	return &CounterVec{f}
}

// GaugeVec registers a gauge family with the given label names.
func (r *Registry) GaugeVec(name, help string, labels ...string) *GaugeVec {
	f := r.add(&family{name: name, help: help, typ: TypeGauge, labels: labels, gauges: map[string]*Gauge{}})
	return &GaugeVec{f}
}

// Func registers a family computed at each scrape by fn, which must be
// quick and safe to call from any goroutine. Each sample's labels must be
// exactly the declared ones; a sample that differs is dropped.
func (r *Registry) Func(name, help string, typ Type, labels []string, fn func() []Sample) {
	r.add(&family{name: name, help: help, typ: typ, labels: labels, fn: fn})
}

// OnScrape registers fn to run at the start of every scrape, before any
// family is read: the place to read once a source that several Func
// families share (a statfs, a lock), instead of once per family.
func (r *Registry) OnScrape(fn func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hooks = append(r.hooks, fn)
}

// GaugeFunc registers an unlabelled gauge read from fn at each scrape.
func (r *Registry) GaugeFunc(name, help string, fn func() float64) {
	r.Func(name, help, TypeGauge, nil, func() []Sample { return []Sample{{Value: fn()}} })
}

// CounterVec is a counter family with labels.
type CounterVec struct{ f *family }

// With returns the counter for these label values (one per label name,
// in order), creating it at zero. A wrong count of values panics.
func (v *CounterVec) With(values ...string) *Counter {
	return entry(v.f, v.f.counters, values)
}

// GaugeVec is a gauge family with labels.
type GaugeVec struct{ f *family }

// With returns the gauge for these label values, creating it at zero.
func (v *GaugeVec) With(values ...string) *Gauge {
	return entry(v.f, v.f.gauges, values)
}

// entry returns the value in m (one of f's maps) for these label
// values, creating it at zero.
func entry[T any](f *family, m map[string]*T, values []string) *T {
	key := f.key(values)
	f.mu.Lock()
	defer f.mu.Unlock()
	x, ok := m[key]
	if !ok {
		x = new(T)
		m[key] = x
	}
	return x
}

// keySep joins label values in a map key; it cannot occur in UTF-8 text.
const keySep = "\xff"

func (f *family) key(values []string) string {
	if len(values) != len(f.labels) {
		panic(fmt.Sprintf("metrics: %s wants %d label values, got %d", f.name, len(f.labels), len(values)))
	}
	return strings.Join(values, keySep)
}
