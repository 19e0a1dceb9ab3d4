// Package logring keeps the last few error records of the appliance's
// log in memory, for the inbox's status page: an slog.Handler that passes
// every record on to the handler it wraps and keeps a copy of those at
// slog.LevelError or above, formatted as "message key=value ...".
package logring

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Kept is how many errors a Ring holds; older ones are dropped.
const Kept = 5

// Entry is one kept error.
type Entry struct {
	Time time.Time
	Text string // the message and its attributes, "it broke n=6 err=EIO"
}

// Ring holds the last Kept errors.
type Ring struct {
	mu   sync.Mutex
	last []Entry // newest last
}

// Keep returns a logger that logs through log's handler and also keeps
// its errors in the returned Ring.
func Keep(log *slog.Logger) (*slog.Logger, *Ring) {
	r := &Ring{}
	return slog.New(handler{Handler: log.Handler(), r: r}), r
}

// Last returns the kept errors, newest first.
func (r *Ring) Last() []Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Entry, len(r.last))
	for i, e := range r.last {
		out[len(r.last)-1-i] = e
	}
	return out
}

// handler wraps another slog.Handler, keeping the attributes WithAttrs
// and WithGroup add, so a kept record reads as the log line does.
type handler struct {
	slog.Handler
	r      *Ring
	attrs  string // from WithAttrs, formatted
	prefix string // from WithGroup: "group."
}

func (h handler) Handle(ctx context.Context, rec slog.Record) error {
	if rec.Level >= slog.LevelError {
		h.r.add(rec, h.attrs, h.prefix)
	}
	return h.Handler.Handle(ctx, rec)
}

func (h handler) WithAttrs(as []slog.Attr) slog.Handler {
	h.Handler = h.Handler.WithAttrs(as)
	for _, a := range as {
		h.attrs += " " + h.prefix + a.Key + "=" + a.Value.String()
	}
	return h
}

func (h handler) WithGroup(name string) slog.Handler {
	h.Handler = h.Handler.WithGroup(name)
	h.prefix += name + "."
	return h
}

func (r *Ring) add(rec slog.Record, attrs, prefix string) {
	var b strings.Builder
	b.WriteString(rec.Message + attrs)
	rec.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + prefix + a.Key + "=" + a.Value.String())
		return true
	})
	r.mu.Lock()
	r.last = append(r.last, Entry{Time: rec.Time, Text: b.String()})
	if len(r.last) > Kept {
		r.last = r.last[1:]
	}
	r.mu.Unlock()
}
