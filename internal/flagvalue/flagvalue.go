// Package flagvalue holds the flag.Value types of the appliance's
// settings, so that a flag and its HOMEMMSC_* variable read the same
// syntax: byte sizes ("300K", "2M"), durations with days ("7d", "1d12h")
// and lists of them, one of a few words, an http(s) base URL, and lists
// given inline or as @file ([Load]). [Env] sets each flag's default from
// its environment variable (HOMEMMSC_MAX_SIZE for -max-size), but for
// the one-shot flags.
//
// Every Set checks its range and says what it wants; String writes a
// value back in the form Set reads, so a flag's default shows in -help
// as the owner would type it.
package flagvalue

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Size is a byte count flag, between Min and Max: "1048576", "300K", "2M", "1G" (binary
// multiples; "KiB"/"MiB"/"GiB" and "KB"/"MB"/"GB" are read the same).
type Size struct {
	P        *int64
	Min, Max int64
}

func (v Size) String() string {
	if v.P == nil {
		return ""
	}
	return FormatSize(*v.P)
}

func (v Size) Set(s string) error {
	n, err := ParseSize(s)
	if err != nil {
		return err
	}
	if n < v.Min || n > v.Max {
		return fmt.Errorf("%s out of range %s–%s", s, FormatSize(v.Min), FormatSize(v.Max))
	}
	*v.P = n
	return nil
}

// ParseSize reads a byte count: digits, then K, M or G (also KB/KiB...).
func ParseSize(s string) (int64, error) {
	t, mult := splitUnit(strings.ToUpper(strings.TrimSpace(s)))
	n, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("invalid size %q: want bytes or a number with K, M or G", s)
	}
	return n * mult, nil
}

// splitUnit cuts a K, M or G suffix (also KB/KiB…) off an upper-case size.
func splitUnit(t string) (string, int64) {
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}} {
		for _, form := range []string{u.suffix + "IB", u.suffix + "B", u.suffix} {
			if rest, ok := strings.CutSuffix(t, form); ok {
				return rest, u.mult
			}
		}
	}
	return t, 1
}

// FormatSize writes n as Size reads it, in the largest unit that divides
// it: "300K", "5M", "1000".
func FormatSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + "G"
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "M"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + "K"
	}
	return strconv.FormatInt(n, 10)
}

// Enum is a string flag limited to a few words, matched without case.
type Enum struct {
	P     *string
	Words []string
}

func (v Enum) String() string {
	if v.P == nil {
		return ""
	}
	return *v.P
}

func (v Enum) Set(s string) error {
	for _, w := range v.Words {
		if strings.EqualFold(s, w) {
			*v.P = w
			return nil
		}
	}
	return fmt.Errorf("want one of %s", strings.Join(v.Words, ", "))
}

// Load reads a list setting given inline or as @file: parse reads the
// inline form, read the file. Errors name the flag (and the file).
func Load[T any](flagName, spec string, parse func(string) (T, error), read func(io.Reader) (T, error)) (T, error) {
	path, isFile := strings.CutPrefix(spec, "@")
	if !isFile {
		v, err := parse(spec)
		if err != nil {
			return v, fmt.Errorf("-%s: %w", flagName, err)
		}
		return v, nil
	}
	var zero T
	f, err := os.Open(path)
	if err != nil {
		return zero, fmt.Errorf("-%s: %w", flagName, err)
	}
	defer f.Close()
	v, err := read(f)
	if err != nil {
		return zero, fmt.Errorf("-%s %s: %w", flagName, path, err)
	}
	return v, nil
}

// BaseURL is an http or https URL with a host and nothing after the
// path (no query, fragment or user); a trailing "/" is dropped.
type BaseURL struct{ P *string }

func (v BaseURL) String() string {
	if v.P == nil {
		return ""
	}
	return *v.P
}

func (v BaseURL) Set(s string) error {
	s = strings.TrimRight(strings.TrimSpace(s), "/")
	if s == "" {
		*v.P = ""
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("want http://host[:port][/path], e.g. http://mms.example.org:8080")
	}
	*v.P = s
	return nil
}

// Days is a duration between 1h and 365d that also takes days: "7d",
// "36h", "1d12h".
type Days struct{ P *time.Duration }

func (v Days) String() string {
	if v.P == nil {
		return ""
	}
	return FormatDays(*v.P)
}

// FormatDays writes "7d", "36h", "10m", "1h30m": days when whole, no
// zero units.
func FormatDays(d time.Duration) string {
	if d > 0 && d%(24*time.Hour) == 0 {
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

func (v Days) Set(s string) error {
	d, err := ParseDays(s)
	if err != nil {
		return err
	}
	if d < time.Hour || d > 365*24*time.Hour {
		return fmt.Errorf("%s out of range 1h-365d", s)
	}
	*v.P = d
	return nil
}

// ParseDays reads a duration that may start with whole days: "7d",
// "1d12h", "36h".
func ParseDays(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 || n > 1000 {
			return 0, fmt.Errorf("invalid duration %q: want e.g. 7d, 36h, 1d12h", s)
		}
		days, s = time.Duration(n)*24*time.Hour, s[i+1:]
		if s == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q: want e.g. 7d, 36h, 1d12h", s)
	}
	return days + d, nil
}

// Durations is a comma-separated list of 1 to 20 durations, each at
// least a minute: "10m,1h,6h,1d".
type Durations struct{ P *[]time.Duration }

func (v Durations) String() string {
	if v.P == nil {
		return ""
	}
	var parts []string
	for _, d := range *v.P {
		parts = append(parts, FormatDays(d))
	}
	return strings.Join(parts, ",")
}

func (v Durations) Set(s string) error {
	var out []time.Duration
	for _, f := range strings.Split(s, ",") {
		d, err := ParseDays(f)
		if err != nil {
			return err
		}
		if d < time.Minute {
			return fmt.Errorf("%s: each wait must be at least 1m", f)
		}
		out = append(out, d)
	}
	if len(out) == 0 || len(out) > 20 {
		return errors.New("want 1 to 20 durations, e.g. 10m,1h,6h,1d")
	}
	*v.P = out
	return nil
}

// Names splits a comma-separated list of names, trimming spaces and
// dropping empty ones.
func Names(s string) []string {
	var out []string
	for _, n := range strings.Split(s, ",") {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, n)
		}
	}
	return out
}
