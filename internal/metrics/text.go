package metrics

import (
	"bufio"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// ContentType is the media type of the text exposition format.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// series is one line to write: label values in declared order.
type series struct {
	values []string
	value  float64
}

// WriteText writes every family in the text exposition format. A family
// with no series (a Func that returned nothing) is left out entirely.
func (r *Registry) WriteText(w io.Writer) error {
	r.mu.Lock()
	fams, hooks := slices.Clone(r.fams), slices.Clone(r.hooks)
	r.mu.Unlock()
	for _, h := range hooks {
		h()
	}
	bw := bufio.NewWriter(w)
	for _, f := range fams {
		writeFamily(bw, f, f.snapshot())
	}
	return bw.Flush()
}

// ServeHTTP answers a scrape: GET or HEAD only.
func (r *Registry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("Cache-Control", "no-cache")
	if req.Method == http.MethodHead {
		return
	}
	r.WriteText(w) // an error here is the scraper hanging up
}

// snapshot reads the family's series, sorted by label values.
func (f *family) snapshot() []series {
	var out []series
	if f.fn != nil {
		for _, s := range f.fn() {
			if v, ok := f.order(s.Labels); ok {
				out = append(out, series{v, s.Value})
			}
		}
	} else {
		f.mu.Lock()
		for k, c := range f.counters {
			out = append(out, series{f.split(k), float64(c.Value())})
		}
		for k, g := range f.gauges {
			out = append(out, series{f.split(k), g.Value()})
		}
		f.mu.Unlock()
	}
	slices.SortFunc(out, func(a, b series) int { return slices.Compare(a.values, b.values) })
	return out
}

func (f *family) split(key string) []string {
	if len(f.labels) == 0 {
		return nil
	}
	return strings.Split(key, keySep)
}

// order puts a Func sample's labels in the declared order; ok is false
// unless they are exactly the declared names.
func (f *family) order(ls []Label) ([]string, bool) {
	if len(ls) != len(f.labels) {
		return nil, false
	}
	values := make([]string, len(f.labels))
	for i, name := range f.labels {
		j := slices.IndexFunc(ls, func(l Label) bool { return l.Name == name })
		if j < 0 {
			return nil, false
		}
		values[i] = ls[j].Value
	}
	return values, true
}

func writeFamily(w *bufio.Writer, f *family, ss []series) {
	if len(ss) == 0 {
		return
	}
	w.WriteString("# HELP " + f.name + " " + helpEscaper.Replace(f.help) + "\n")
	w.WriteString("# TYPE " + f.name + " " + string(f.typ) + "\n")
	for _, s := range ss {
		w.WriteString(f.name)
		if len(f.labels) > 0 {
			w.WriteByte('{')
			for i, name := range f.labels {
				if i > 0 {
					w.WriteByte(',')
				}
				w.WriteString(name + `="` + labelEscaper.Replace(s.values[i]) + `"`)
			}
			w.WriteByte('}')
		}
		w.WriteString(" " + formatValue(s.value) + "\n")
	}
}

var (
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
	labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
)

// formatValue spells a sample value as the format wants: Go float syntax,
// with +Inf, -Inf and NaN; no exponent unless the number is tiny or huge.
func formatValue(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	case v == math.Trunc(v) && math.Abs(v) < 1<<53:
		return strconv.FormatInt(int64(v), 10) // 1000000, not 1e+06
	case math.Abs(v) >= 1e-4 && math.Abs(v) < 1e15:
		return strconv.FormatFloat(v, 'f', -1, 64) // 1795730973.9, not 1.7957309739e+09
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
