package inbox

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/phones"
	"github.com/homemmsc/homemmsc/internal/store"
)

const fixedToken = "fixedtokenfixedtokenfixedtoken00"

func TestFallbackToggle(t *testing.T) {
	e := newEnv(t, false)
	e.login()
	mustContain(t, e.get("/phones").Body.String(), "SMS fallback: off", `action="/phones/fallback"`, "Turn on")
	if w := e.post("/phones/fallback", url.Values{"token": {fixedToken}, "on": {"1"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("turn on: %d %s", w.Code, w.Body)
	}
	if p, _ := e.reg.ByToken(fixedToken); !p.Fallback {
		t.Error("the -phones entry's fallback is still off")
	}
	mustContain(t, e.get("/phones").Body.String(), "SMS fallback: <strong>on</strong>", "Turn off")
	// Kept across a reopen of the registry (it is the owner's setting).
	reg, err := phones.Open(e.dir+"/phones.json", []phones.Phone{{Name: "Fixed Phone", Number: "+15550001111", Token: fixedToken}})
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := reg.ByToken(fixedToken); !p.Fallback {
		t.Error("the fallback was not saved")
	}
	reg.Close()
	if w := e.post("/phones/fallback", url.Values{"token": {fixedToken}, "on": {"0"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("turn off: %d", w.Code)
	}
	if p, _ := e.reg.ByToken(fixedToken); p.Fallback {
		t.Error("the fallback is still on")
	}
	// A phone paired in the inbox.
	added, err := e.reg.Add("Bob", "+447700900456")
	if err != nil {
		t.Fatal(err)
	}
	if w := e.post("/phones/fallback", url.Values{"token": {added.Token}, "on": {"1"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("turn on for a paired phone: %d", w.Code)
	}
	if p, _ := e.reg.ByToken(added.Token); !p.Fallback {
		t.Error("the paired phone's fallback is off")
	}
	if w := e.post("/phones/fallback", url.Values{"token": {"nosuchtokennosuchtoken"}, "on": {"1"}}); w.Code != http.StatusNotFound {
		t.Errorf("unknown phone: %d", w.Code)
	}
	// Without the CSRF token nothing changes.
	for _, tok := range []string{"", "forged"} {
		if w := e.postRaw("/phones/fallback", url.Values{"csrf": {tok}, "token": {fixedToken}, "on": {"1"}}); w.Code != http.StatusForbidden {
			t.Errorf("fallback with token %q: %d", tok, w.Code)
		}
	}
	if p, _ := e.reg.ByToken(fixedToken); p.Fallback {
		t.Error("a forged request turned the fallback on")
	}
}

func TestReachOff(t *testing.T) {
	e := newEnvConfig(t, false, func(c *Config) { c.SelfTestOff = "no -public-url <set>." })
	e.login()
	body := e.get("/phones").Body.String()
	mustContain(t, body, "<button disabled>Test reachability</button>", "no -public-url &lt;set&gt;.")
	w := e.post("/phones/test", url.Values{"token": {fixedToken}})
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("test while off: %d", w.Code)
	}
	mustContain(t, w.Body.String(), "not available: no -public-url")
}

// fakeReach is a self-test that waits for the test to release it.
type fakeReach struct {
	calls   atomic.Int32
	release chan ReachResult
	err     error
}

func (f *fakeReach) run(ctx context.Context, p phones.Phone) (ReachResult, error) {
	f.calls.Add(1)
	select {
	case r := <-f.release:
		return r, f.err
	case <-ctx.Done():
		return ReachResult{}, nil
	}
}

// waitIdle waits until no test of token runs.
func waitIdle(t *testing.T, e *env, token string) {
	t.Helper()
	for range 500 {
		if s, ok := e.h.reach.state(token); ok && !s.Running {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatal("the test did not end")
}

func TestReachButton(t *testing.T) {
	f := &fakeReach{release: make(chan ReachResult)}
	e := newEnvConfig(t, false, func(c *Config) { c.SelfTest = f.run })
	e.login()
	body := e.get("/phones").Body.String()
	mustContain(t, body, `action="/phones/test"`, "<button>Test reachability</button>")
	if w := e.postRaw("/phones/test", url.Values{"csrf": {"forged"}, "token": {fixedToken}}); w.Code != http.StatusForbidden {
		t.Errorf("test without the CSRF token: %d", w.Code)
	}
	if w := e.post("/phones/test", url.Values{"token": {"nosuchtokennosuchtoken"}}); w.Code != http.StatusNotFound {
		t.Errorf("test of an unknown phone: %d", w.Code)
	}
	if f.calls.Load() != 0 {
		t.Fatal("a refused request ran the test")
	}
	// The POST answers at once while the test waits in the background.
	if w := e.post("/phones/test", url.Values{"token": {fixedToken}}); w.Code != http.StatusSeeOther {
		t.Fatalf("start: %d %s", w.Code, w.Body)
	}
	mustContain(t, e.get("/phones").Body.String(), "Reachability test running…", "<button disabled>Test reachability</button>")
	if w := e.post("/phones/test", url.Values{"token": {fixedToken}}); w.Code != http.StatusConflict {
		t.Errorf("second test while one runs: %d", w.Code)
	}
	f.release <- ReachResult{Fetched: true, After: 12300 * time.Millisecond, Remote: "198.51.100.7:4000",
		UserAgent: "<script>alert(1)</script>", Profile: "http://example.com/p.xml", Reported: "retrieved"}
	waitIdle(t, e, fixedToken)
	if n := f.calls.Load(); n != 1 {
		t.Errorf("%d tests ran, want 1", n)
	}
	body = e.get("/phones").Body.String()
	mustContain(t, body, "<strong>fetched</strong> after 12s from 198.51.100.7:4000", "&lt;script&gt;alert(1)&lt;/script&gt;",
		"http://example.com/p.xml", "reported: retrieved", "<button>Test reachability</button>")
	mustNotContain(t, body, "<script>")

	// Not fetched.
	if w := e.post("/phones/test", url.Values{"token": {fixedToken}}); w.Code != http.StatusSeeOther {
		t.Fatalf("start again: %d", w.Code)
	}
	f.release <- ReachResult{}
	waitIdle(t, e, fixedToken)
	mustContain(t, e.get("/phones").Body.String(), "<strong>not fetched</strong>")

	// The modem failed.
	f.err = errors.New("modem <gone>")
	if w := e.post("/phones/test", url.Values{"token": {fixedToken}}); w.Code != http.StatusSeeOther {
		t.Fatalf("start a third: %d", w.Code)
	}
	f.release <- ReachResult{}
	waitIdle(t, e, fixedToken)
	mustContain(t, e.get("/phones").Body.String(), "could not run: modem &lt;gone&gt;")
}

func TestReachCancelledOnClose(t *testing.T) {
	f := &fakeReach{release: make(chan ReachResult)}
	e := newEnvConfig(t, false, func(c *Config) { c.SelfTest = f.run })
	e.login()
	if w := e.post("/phones/test", url.Values{"token": {fixedToken}}); w.Code != http.StatusSeeOther {
		t.Fatalf("start: %d", w.Code)
	}
	done := make(chan struct{})
	go func() { e.h.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not cancel the running test")
	}
}

func TestDeliveryStates(t *testing.T) {
	e := newEnv(t, false)
	e.login()
	m := e.put("hello", anna, textPart("hi"))
	if !strings.Contains(e.get("/m/"+m.ID).Body.String(), "<dt>Size</dt>") || strings.Contains(e.get("/m/"+m.ID).Body.String(), "<dt>Delivery</dt>") {
		t.Error("a message without delivery states shows a Delivery row")
	}
	when := time.Date(2026, 3, 14, 12, 5, 0, 0, time.UTC)
	const evil = `<script>alert(1)</script>`
	err := e.st.SetDelivery(m.ID, []store.Delivery{
		{To: "+15550001111", Phone: "Bob " + evil, State: "retrieved", Updated: when},
		{To: "+15559990000" + evil, State: "kept", Updated: when},
	})
	if err != nil {
		t.Fatal(err)
	}
	body := e.get("/m/" + m.ID).Body.String()
	mustContain(t, body, "<dt>Delivery</dt>", "&#43;15550001111", "Bob &lt;script&gt;alert(1)&lt;/script&gt;", "retrieved",
		when.Local().Format("2006-01-02 15:04:05"), "not paired", "kept")
	mustNotContain(t, body, "<script>")
}
