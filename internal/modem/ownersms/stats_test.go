package ownersms

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/homemmsc/homemmsc/internal/modem/at"
)

// One text goes out, one is refused for good: Stats counts each once.
func TestStatsCountSentAndFailed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newSender(t, nil, &at.CMSError{Code: 304, Text: "304"})
		n, stop := start(t, Config{Dir: t.TempDir(), Owners: []string{"+15550001111", "+15550002222"}}, f)
		if s := n.Stats(); s != (Stats{}) {
			t.Errorf("fresh Stats %+v", s)
		}
		n.Add(photo("m1", "Alice"))
		time.Sleep(time.Minute)
		synctest.Wait()
		stop()
		s := n.Stats()
		if s.Sent != 1 || s.Failed != 1 || s.Queued != 0 || s.LastError == "" {
			t.Errorf("Stats %+v, want 1 sent, 1 failed, none queued, the error", s)
		}
	})
}
