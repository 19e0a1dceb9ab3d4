package inbox

import (
	"context"
	"flag"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/homemmsc/homemmsc/internal/phones"
	"github.com/homemmsc/homemmsc/internal/store"
)

var saveScreenshots = flag.Bool("screenshots", false, "TestBrowser: write the committed screenshots (committedShots) to testdata/ instead of a temporary directory")

// committedShots are the screenshots kept in testdata/ (go test -run
// TestBrowser -screenshots rewrites them); the others go to a temporary
// directory the test logs.
var committedShots = map[string]bool{
	"conversations-360.png": true, "thread-360.png": true, "list-360.png": true, "message-360.png": true,
	"phones-360.png": true, "status-360.png": true, "setup-360.png": true, "conversations-1280.png": true,
	"thread-1280.png": true, "pairing-reloaded-1280.png": true, "remove-confirm-1280.png": true,
}

// chromium returns the path of a headless-capable Chromium, or skips the
// test (fails it under CI, whose .ci/run installs Debian's chromium).
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium not found: CI must install it (apt-get install chromium)")
	}
	t.Skip("chromium not found: install Debian's chromium package to run the browser test")
	return ""
}

// TestBrowser drives a real headless Chromium through the inbox holding
// the corpus and a household's messages: log in; load every page at 360,
// 390 and 1280 px wide and check from the element boxes that nothing
// runs past the viewport and that sender lines stay on one line (cut
// with an ellipsis, not wrapped or squeezed); walk the conversations
// into a thread, open a message with an image (decoded under the CSP),
// pair a phone and reload the page, and remove it through its
// confirmation. The page must raise no CSP violation or script error on
// the way. Screenshots of each page at each width are written (with
// -screenshots, to testdata/).
func TestBrowser(t *testing.T) {
	path := chromium(t)
	e := newEnv(t, false)
	e.h.cfg.PageSize = 12 // every row in the first screen: lazy thumbnails below it would never load
	loadCorpus(t, e.st)
	e.stored.Add(time.Hour)
	pic := richMessage(e)
	household(e)
	srv := httptest.NewServer(e.h)
	defer srv.Close()

	outDir := t.TempDir()
	setupEnv := newEnv(t, true) // no password yet: the setup page
	setupSrv := httptest.NewServer(setupEnv.h)
	defer setupSrv.Close()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("window-size", "1280,900"), chromedp.Flag("lang", "en-GB"))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 120*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil { // start the browser before subscribing
		t.Fatalf("starting chromium: %v", err)
	}
	console := chromedp.Console(ctx)
	b := &browser{t: t, ctx: ctx, base: srv.URL, out: outDir}

	widths := []int64{360, 390, 1280}
	viewport := func(width int64) {
		b.must("viewport", chromedp.EmulateViewport(width, 844, func(p *emulation.SetDeviceMetricsOverrideParams, _ *emulation.SetTouchEmulationEnabledParams) {
			p.Mobile = width < 1000
		}))
	}
	for _, width := range widths { // the pages before a session
		viewport(width)
		w := strconv.FormatInt(width, 10)
		b.layout(setupSrv.URL, "/setup", width)
		b.shot("setup-" + w + ".png")
		b.layout(srv.URL, "/login", width)
		b.shot("login-" + w + ".png")
	}
	b.must("desktop", chromedp.EmulateViewport(1280, 900))
	b.must("log in",
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=password]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), testPassword),
		chromedp.Submit(chromedp.CSS(`input[name=password]`)),
		chromedp.WaitVisible(chromedp.CSS(`ul.convs`)),
	)
	pages := []struct{ name, path string }{
		{"conversations", "/"},
		{"thread", threadURL("+15557654321", 1)},
		{"thread-claimed", threadURL("+15551230000", 1)},
		{"list", "/messages"},
		{"message", "/m/" + pic.ID},
		{"delete", "/m/" + pic.ID + "/delete"},
		{"phones", "/phones"},
		{"status", "/status"},
		{"backup", "/backup"},
		{"remove", "/phones/remove?number=%2B15553334444"},
		{"error", errorPage},
	}
	for _, width := range widths {
		viewport(width)
		for _, p := range pages {
			b.layout(srv.URL, p.path, width)
			b.shot(p.name + "-" + strconv.FormatInt(width, 10) + ".png")
		}
	}
	b.must("desktop", chromedp.EmulateViewport(1280, 900))

	b.walk(e, pic)
	cancel() // ends the console subscription
	for m, err := range console {
		if err != nil {
			break
		}
		if strings.HasSuffix(m.URL, errorPage) && strings.Contains(m.Text, "status of 404") {
			continue // the error page's own answer, on purpose
		}
		if m.IsException() || strings.Contains(m.Text, "Content Security Policy") || m.Type == "error" {
			t.Errorf("browser console: %s (at %q)", m, m.URL)
		}
	}
	t.Logf("screenshots in %s", outDir)
}

// errorPage is a page that answers 404 with the inbox's error page.
const errorPage = "/m/20990101-000000-000001"

// household adds the messages of a household to the store: Anna's phone
// (paired, proven by its token) writing to Ben and to a group, Ben's
// number only claimed on the open endpoint, a long claimed number with
// three pictures and a long subject, and a paired phone with a long name.
func household(e *env) {
	e.putTo([]string{"+15557654321"}, "Dinner?", anna, textPart("Are you coming for dinner on Sunday?"))
	e.stored.Add(time.Minute)
	e.putTo([]string{"+15557654321", "+15553334444"}, "Group", anna, textPart("Hello both"))
	e.stored.Add(time.Minute)
	e.putTo([]string{"+447700900123"}, "Re: Dinner?", store.Sender{Number: "+15557654321", Source: "query"}, textPart("Yes, with dessert"), pngPart("cake.png"))
	e.stored.Add(time.Minute)
	e.putTo([]string{"+447700900123"}, "A subject long enough to need cutting on a phone's screen, and then some more words after that",
		store.Sender{Number: "+15551230000", Source: "query"}, pngPart("one.png"), pngPart("two.png"), pngPart("three.png"), textPart("three pictures"))
	e.stored.Add(time.Minute)
	if _, err := e.reg.Add("Grandpa's phone, the one with the big buttons", "+15553334444"); err != nil {
		e.t.Fatal(err)
	}
	e.putTo([]string{"+15557654321"}, "From the kitchen",
		store.Sender{Number: "+15550002222", Name: "Grandma's old phone in the kitchen drawer by the window", Source: "token"}, textPart("Hello from the kitchen"))
	e.stored.Add(time.Minute)
}

// browser is the test's handle on the Chromium tab.
type browser struct {
	t         *testing.T
	ctx       context.Context
	base, out string
}

func (b *browser) must(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

func (b *browser) shot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := b.out
	if *saveScreenshots && committedShots[name] {
		dir = "testdata"
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// layoutJS measures the page: every element box must lie within the
// viewport's width (and the document must not scroll sideways); every
// sender line (.who in the lists, .by in a thread) must be one line high
// and at least a third of its row wide (never squeezed to a column of
// digits), showing at least 100 px of the name; a sender's name or a
// subject that does not fit must be cut, not wrapped: its text wider
// than its box, with text-overflow: ellipsis.
const layoutJS = `(() => {
  const vw = document.documentElement.clientWidth, bad = [];
  const what = el => el.tagName.toLowerCase() + (el.className ? "." + String(el.className).replace(/ /g, ".") : "") +
    " \"" + (el.textContent || "").trim().slice(0, 30) + "\"";
  if (document.documentElement.scrollWidth > vw) bad.push("the page scrolls sideways: " + document.documentElement.scrollWidth + " px > " + vw);
  // What shows of a box: its part inside every ancestor that clips (an
  // ellipsis's overflow: hidden).
  const shown = el => {
    let r = el.getBoundingClientRect(), left = r.left, right = r.right;
    for (let a = el.parentElement; a; a = a.parentElement) {
      if (getComputedStyle(a).overflowX === "visible") continue;
      const c = a.getBoundingClientRect();
      left = Math.max(left, c.left); right = Math.min(right, c.right);
    }
    return [left, right, r.width > 0 && r.height > 0];
  };
  for (const el of document.querySelectorAll("body *")) {
    const [left, right, some] = shown(el);
    if (!some || right <= left) continue;
    if (left < -0.5 || right > vw + 0.5) bad.push(what(el) + " spans " + Math.round(left) + ".." + Math.round(right) + " of " + vw);
  }
  for (const el of document.querySelectorAll(".who, .by")) {
    const name = el.querySelector(".name"), lh = parseFloat(getComputedStyle(name).lineHeight);
    const r = el.getBoundingClientRect(), row = el.parentElement.getBoundingClientRect();
    if (r.height > 1.5 * lh) bad.push(what(el) + " wraps: " + Math.round(r.height) + " px high, a line is " + lh);
    if (el.matches(".who") && r.width < row.width / 3) bad.push(what(el) + " is squeezed to " + Math.round(r.width) + " px of " + Math.round(row.width));
    if (name.scrollWidth > name.clientWidth + 1 && getComputedStyle(name).textOverflow !== "ellipsis") bad.push(what(name) + " is cut without an ellipsis");
    if (name.clientWidth < Math.min(name.scrollWidth, 100)) bad.push(what(name) + " shows " + name.clientWidth + " px of its " + name.scrollWidth);
  }
  for (const el of document.querySelectorAll(".list .subject, .bubble .subject")) {
    const lh = parseFloat(getComputedStyle(el).lineHeight);
    if (el.getBoundingClientRect().height > 1.5 * lh) bad.push(what(el) + " wraps");
    if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).textOverflow !== "ellipsis") bad.push(what(el) + " is cut without an ellipsis");
  }
  return bad;
})()`

// layout loads path at the current viewport and reports what layoutJS
// finds.
func (b *browser) layout(base, path string, width int64) {
	b.t.Helper()
	b.must("load "+path, chromedp.Navigate(base+path), chromedp.WaitReady(chromedp.CSS(`main`)))
	// Lazy images below the fold load now: a picture's box is measured
	// at its real size.
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll("img[loading=lazy]").forEach(i => i.loading = "eager"), 0`)); err != nil {
		b.t.Fatal(err)
	}
	waitImages(b.t, b.ctx, "img")
	bad, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](layoutJS))
	if err != nil {
		b.t.Fatalf("measuring %s: %v", path, err)
	}
	for _, p := range bad {
		b.t.Errorf("%s at %d px: %s", path, width, p)
	}
}

// cutNames counts the sender names on the page whose text is wider than
// their box: shown cut, with the ellipsis layoutJS checks.
func (b *browser) cutNames() int {
	b.t.Helper()
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`Array.from(document.querySelectorAll(".who .name, .by .name")).filter(n => n.scrollWidth > n.clientWidth + 1).length`))
	if err != nil {
		b.t.Fatal(err)
	}
	return n
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func (b *browser) count(sel string) int {
	b.t.Helper()
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+jsString(sel)+`).length`))
	if err != nil {
		b.t.Fatal(err)
	}
	return n
}

// walk goes where an owner would: a conversation, its thread, a message
// with an image, pairing (and a reload of its answer) and a removal
// through its confirmation.
func (b *browser) walk(e *env, pic store.Meta) {
	t := b.t
	b.must("conversations", chromedp.Navigate(b.base+"/"), chromedp.WaitVisible(chromedp.CSS(`ul.convs`)))
	if n := b.count("ul.convs li"); n < 4 {
		t.Errorf("%d conversations, want at least 4", n)
	}
	b.must("open the conversation with +15557654321",
		chromedp.Click(chromedp.CSS(`a[href="`+threadURL("+15557654321", 1)+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`ol.thread`)))
	if ours, theirs := b.count("li.bubble.ours"), b.count("li.bubble.theirs"); ours != 2 || theirs != 1 {
		t.Errorf("thread: %d bubbles from the household, %d from them; want 2 and 1", ours, theirs)
	}
	if s := b.text("li.bubble.theirs .by"); !strings.Contains(s, "+15557654321") || !strings.Contains(strings.ToLower(s), "claimed") {
		t.Errorf("their bubble says %q: want the number, marked claimed", s)
	}
	if n := waitImages(t, b.ctx, "li.bubble img"); n != 1 {
		t.Errorf("%d pictures decoded in the thread, want 1", n)
	}

	b.must("open the message with an image", chromedp.Navigate(b.base+"/m/"+pic.ID),
		chromedp.WaitVisible(chromedp.CSS(`section.part.image img`)))
	if n := waitImages(t, b.ctx, "section.part img"); n != 1 {
		t.Errorf("%d images decoded on the message page, want 1", n)
	}
	if s := b.text(`div.text`); !strings.Contains(s, "Grüße aus Köln") {
		t.Errorf("text part %q", s)
	}
	if m, _ := e.st.Get(pic.ID); !m.Seen {
		t.Error("opening the message in the browser did not mark it seen")
	}

	b.must("list of all messages at 360 px", chromedp.EmulateViewport(360, 844), chromedp.Navigate(b.base+"/messages"),
		chromedp.WaitVisible(chromedp.CSS(`ul.list`)))
	if n := b.cutNames(); n == 0 {
		t.Error("no sender name is cut at 360 px: the long names of the test do not test the ellipsis")
	}
	b.must("desktop", chromedp.EmulateViewport(1280, 900))

	e.reg.Saw("fixedtokenfixedtokenfixedtoken00", visitFromSamsung(e))
	b.must("pair a phone",
		chromedp.Navigate(b.base+"/phones"),
		chromedp.SendKeys(chromedp.CSS(`input[name=name]`), "Anna's phone"),
		chromedp.SendKeys(chromedp.CSS(`input[name=number]`), "07700 900123"),
		chromedp.Submit(chromedp.CSS(`input[name=number]`)),
		chromedp.WaitVisible(chromedp.CSS(`section.added img.qr`)),
	)
	if s := b.text(".notice"); !strings.Contains(s, "Anna's phone is paired") {
		t.Errorf("notice after pairing: %q", s)
	}
	b.must("reload the answer", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`section.added img.qr`)))
	if n := b.count(".error") + b.count(".notice"); n != 0 {
		t.Errorf("the reloaded page shows %d errors or notices: pairing is not reload-safe", n)
	}
	if n := waitImages(t, b.ctx, "img.qr"); n != 1 {
		t.Error("the QR code did not decode")
	}
	url := b.text(`section.added .url code`)
	p, ok := e.reg.ByNumber("07700900123")
	if !ok || url != "http://203.0.113.9:8080/mms/"+p.Token {
		t.Errorf("shown URL %q, phone %+v", url, p)
	}
	if s := b.text(`ul.phones`); !strings.Contains(s, "SAMSUNG-SGH-E250/1.0") || !strings.Contains(s, "uaprof/SGH-E250.xml") {
		t.Errorf("the phones list lacks the last visit: %q", s)
	}
	b.shot("pairing-reloaded-1280.png")

	b.must("ask to remove it",
		chromedp.Click(chromedp.CSS(`a[href^="/phones/remove?number="]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/phones/remove"] button`)))
	if s := b.text("h1"); s != "Remove Anna's phone?" {
		t.Errorf("confirmation asks %q", s)
	}
	if _, ok := e.reg.ByToken(p.Token); !ok {
		t.Error("the phone went before the removal was confirmed")
	}
	b.shot("remove-confirm-1280.png")
	b.must("confirm", chromedp.Click(chromedp.CSS(`form[action="/phones/remove"] button`)), chromedp.WaitVisible(chromedp.CSS(`.notice`)))
	if s := b.text(".notice"); !strings.Contains(s, "Anna's phone was removed") {
		t.Errorf("notice after removing: %q", s)
	}
	if _, ok := e.reg.ByToken(p.Token); ok {
		t.Error("the phone is still paired after the confirmed removal")
	}
}

// waitImages waits until every image matching sel has loaded (or
// failed) and returns how many the browser decoded.
func waitImages(t *testing.T, ctx context.Context, sel string) int {
	t.Helper()
	all := `Array.from(document.querySelectorAll(` + jsString(sel) + `))`
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](all+`.every(i => i.complete)`)); err != nil {
		t.Fatalf("images %s: %v", sel, err)
	}
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](all+`.filter(i => i.naturalWidth > 0).length`))
	if err != nil {
		t.Fatalf("images %s: %v", sel, err)
	}
	return n
}

func jsString(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }

func visitFromSamsung(e *env) phones.Visit {
	return phones.Visit{Time: e.clock.Now(), Remote: "198.51.100.4:33000", UserAgent: "SAMSUNG-SGH-E250/1.0 Profile/MIDP-2.0",
		Profile: "http://wap.samsungmobile.com/uaprof/SGH-E250.xml", What: "send"}
}
