package clock

import (
	"context"
	"log/slog"
	"time"
)

// Poll is how often the clock's sync state is checked for the log.
// NTP usually syncs within a minute of the network coming up.
const Poll = 30 * time.Second

// Watch logs each change of the clock's sync state (a Pi has no
// clock battery: until NTP syncs, times are wrong) until ctx is done.
// The state at start is in the startup log line.
func Watch(ctx context.Context, synced func() bool, tick <-chan time.Time, log *slog.Logger) {
	was := synced()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
		now := synced()
		switch {
		case now && !was:
			log.Info("clock: synchronised; new messages get a trusted time", "time", time.Now().UTC().Format(time.RFC3339))
		case !now && was:
			log.Warn("clock: no longer synchronised; new messages are marked clockSynced=false")
		}
		was = now
	}
}
