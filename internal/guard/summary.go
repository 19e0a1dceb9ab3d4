package guard

import (
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"
)

// DefaultSummaryEvery is how often a Summary logs, at most, when its
// Every is zero.
const DefaultSummaryEvery = 10 * time.Second

// maxSummaryClients bounds the distinct clients a Summary tells apart
// per kind and period (about 64 KB at most for IPv6 keys); beyond it the
// count of clients is a lower bound, logged with clients_capped=true.
const maxSummaryClients = 1024

// Summary logs refusals as one line per kind per period: what, how many,
// from how many clients. A flood of refusals is thus a few log lines
// however fast it comes, and the first line comes at most one period
// after the flood starts. It is safe for concurrent use.
type Summary struct {
	log   *slog.Logger
	every time.Duration

	mu      sync.Mutex
	kinds   map[string]*tally
	pending bool // a flush is scheduled
}

type tally struct {
	n       int
	clients map[string]struct{}
	capped  bool
}

// NewSummary returns a Summary logging to log at warning level, every
// period at most (if zero, DefaultSummaryEvery).
func NewSummary(log *slog.Logger, every time.Duration) *Summary {
	if every <= 0 {
		every = DefaultSummaryEvery
	}
	return &Summary{log: log, every: every, kinds: map[string]*tally{}}
}

// Note counts one refusal of kind what for client. It never blocks on
// the log: the line is written by a timer's goroutine.
func (s *Summary) Note(what, client string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.kinds[what]
	if t == nil {
		t = &tally{clients: map[string]struct{}{}}
		s.kinds[what] = t
	}
	t.n++
	if _, ok := t.clients[client]; !ok {
		if len(t.clients) < maxSummaryClients {
			t.clients[client] = struct{}{}
		} else {
			t.capped = true
		}
	}
	if !s.pending {
		s.pending = true
		time.AfterFunc(s.every, s.Flush)
	}
}

// Flush logs what was noted since the last flush, one line per kind in
// name order, and starts a new period.
func (s *Summary) Flush() {
	s.mu.Lock()
	kinds := s.kinds
	s.kinds, s.pending = map[string]*tally{}, false
	s.mu.Unlock()
	for _, what := range slices.Sorted(maps.Keys(kinds)) {
		t := kinds[what]
		attrs := []any{"what", what, "count", t.n, "clients", len(t.clients)}
		if t.capped {
			attrs = append(attrs, "clients_capped", true)
		}
		s.log.Warn("guard: refused", append(attrs, "within", s.every)...)
	}
}
