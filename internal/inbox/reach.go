package inbox

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/homemmsc/homemmsc/internal/phones"
)

// ReachResult is the outcome of a reachability self-test (issue 7): did
// the phone fetch the test message after its notification, how long it
// took, and from where with which client.
type ReachResult struct {
	Phone     string    // its name
	Number    string    //
	Sent      time.Time // when the notification went to the modem
	Fetched   bool
	After     time.Duration // from the notification to the fetch
	Remote    string        // the address the fetch came from
	UserAgent string
	Profile   string // x-wap-profile, when sent
	Reported  string // the status of the phone's M-NotifyResp.ind, if one came
}

// reachTests runs the phones page's self-tests in the background: the
// test waits minutes for the phone, far longer than a page request should
// stay open. One test runs per phone at a time; the last result of each
// phone is kept in memory (a restart forgets them).
type reachTests struct {
	run    func(ctx context.Context, p phones.Phone) (ReachResult, error)
	now    func() time.Time
	ctx    context.Context // cancelled by stop
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu   sync.Mutex
	last map[string]*reachState // by phone token
}

// reachState is one phone's running or last test.
type reachState struct {
	Running        bool
	Started, Ended time.Time
	Result         ReachResult
	Err            string // what kept the test from running
}

func newReachTests(run func(context.Context, phones.Phone) (ReachResult, error), now func() time.Time) *reachTests {
	ctx, cancel := context.WithCancel(context.Background())
	return &reachTests{run: run, now: now, ctx: ctx, cancel: cancel, last: map[string]*reachState{}}
}

// start begins a test of p unless one is running for it; it reports
// whether it started one.
func (t *reachTests) start(p phones.Phone) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s := t.last[p.Token]; s != nil && s.Running {
		return false
	}
	s := &reachState{Running: true, Started: t.now()}
	t.last[p.Token] = s
	t.wg.Go(func() {
		res, err := t.run(t.ctx, p)
		t.mu.Lock()
		defer t.mu.Unlock()
		s.Running, s.Ended, s.Result = false, t.now(), res
		if err != nil {
			s.Err = err.Error()
		}
	})
	return true
}

// state is a copy of the phone's running or last test, if any.
func (t *reachTests) state(token string) (reachState, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.last[token]
	if !ok {
		return reachState{}, false
	}
	return *s, true
}

// forget drops a removed phone's result.
func (t *reachTests) forget(token string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s := t.last[token]; s != nil && !s.Running {
		delete(t.last, token)
	}
}

// stop cancels the running tests and waits for them.
func (t *reachTests) stop() {
	t.cancel()
	t.wg.Wait()
}

// reachView is a phone's test as the phones page shows it.
type reachView struct {
	Running                bool
	Started, Ended         string
	Fetched                bool
	After                  string
	Remote, UserAgent      string
	Profile, Reported, Err string
}

func (h *Handler) reachView(token string) *reachView {
	if h.reach == nil {
		return nil
	}
	s, ok := h.reach.state(token)
	if !ok {
		return nil
	}
	v := &reachView{Running: s.Running, Started: s.Started.Local().Format("2006-01-02 15:04:05"), Err: s.Err}
	if s.Running {
		return v
	}
	v.Ended = s.Ended.Local().Format("2006-01-02 15:04:05")
	r := s.Result
	v.Fetched, v.Remote, v.UserAgent, v.Profile, v.Reported = r.Fetched, r.Remote, r.UserAgent, r.Profile, r.Reported
	if r.Fetched {
		v.After = r.After.Round(time.Second).String()
	}
	return v
}

// testPhone starts the reachability self-test of one phone and shows the
// phones page at once; the page says "running" until the test ends.
func (h *Handler) testPhone(w http.ResponseWriter, r *http.Request) {
	if h.cfg.Phones == nil {
		h.fail(w, r, http.StatusNotFound, "Pairing is not available.")
		return
	}
	if h.reach == nil {
		h.renderPhones(w, r, http.StatusServiceUnavailable, phonesView{Error: "The reachability test is not available: " + h.testOff()})
		return
	}
	p, ok := h.cfg.Phones.ByToken(r.PostFormValue("token"))
	if !ok {
		h.renderPhones(w, r, http.StatusNotFound, phonesView{Error: "No such phone (removed?)."})
		return
	}
	if !h.reach.start(p) {
		h.renderPhones(w, r, http.StatusConflict, phonesView{Error: "A test of " + p.Name + " is already running."})
		return
	}
	h.log.Info("inbox: reachability test started", "phone", p.Name)
	h.done(w, r, "/phones", "Reachability test of "+p.Name+" started: the phone has a few minutes to fetch the test message.")
}

// testOff is why the reachability test is not available.
func (h *Handler) testOff() string {
	if h.cfg.SelfTestOff != "" {
		return h.cfg.SelfTestOff
	}
	return "delivery to paired phones is off."
}

// setFallback turns a phone's plain-text SMS fallback on or off.
func (h *Handler) setFallback(w http.ResponseWriter, r *http.Request) {
	if h.cfg.Phones == nil {
		h.fail(w, r, http.StatusNotFound, "Pairing is not available.")
		return
	}
	on := r.PostFormValue("on") == "1"
	if !h.savedSetting(w, r, "the SMS fallback", h.cfg.Phones.SetFallback(r.PostFormValue("token"), on)) {
		return
	}
	h.log.Info("inbox: SMS fallback set", "on", on)
	h.done(w, r, "/phones", map[bool]string{true: "SMS fallback turned on.", false: "SMS fallback turned off."}[on])
}

// savedSetting reports whether a phone's setting was saved; if not, it
// answers with the Phones page and what went wrong (what names the
// setting in the log).
func (h *Handler) savedSetting(w http.ResponseWriter, r *http.Request, what string, err error) bool {
	switch {
	case err == nil:
		return true
	case errors.Is(err, phones.ErrNotFound):
		h.renderPhones(w, r, http.StatusNotFound, phonesView{Error: "No such phone (removed?)."})
	default:
		h.log.Error("inbox: setting "+what, "err", err)
		h.renderPhones(w, r, http.StatusInternalServerError, phonesView{Error: "The setting could not be saved: " + err.Error()})
	}
	return false
}
