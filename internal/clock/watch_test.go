package clock

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// logLines collects log messages.
type logLines struct{ msgs []string }

func (l *logLines) Enabled(context.Context, slog.Level) bool { return true }
func (l *logLines) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logLines) WithGroup(string) slog.Handler            { return l }
func (l *logLines) Handle(_ context.Context, r slog.Record) error {
	l.msgs = append(l.msgs, r.Message)
	return nil
}

func TestWatchClockLogsChanges(t *testing.T) {
	states := []bool{false, false, true, true, false}
	i := 0
	synced := func() bool { s := states[min(i, len(states)-1)]; i++; return s }
	tick := make(chan time.Time)
	var logs logLines
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { Watch(ctx, synced, tick, slog.New(&logs)); close(done) }()
	for range len(states) - 1 {
		tick <- time.Time{}
	}
	cancel()
	<-done
	if len(logs.msgs) != 2 || !strings.Contains(logs.msgs[0], "clock: synchronised") || !strings.Contains(logs.msgs[1], "no longer synchronised") {
		t.Errorf("logs %q, want one line at sync and one at its loss", logs.msgs)
	}
}
