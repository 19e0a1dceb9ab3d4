package inbox

import (
	"context"
	"flag"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/homemmsc/homemmsc/internal/phones"
)

var saveScreenshots = flag.Bool("screenshots", false, "TestBrowser: write its screenshots to testdata/ (the committed ones) instead of a temporary directory")

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
// the corpus: log in, see the list, open a message with an image (and
// check the browser decoded it under the CSP), pair a phone (and check
// its QR code loaded), and take a screenshot of each page. The page must
// raise no CSP violation or script error on the way.
func TestBrowser(t *testing.T) {
	path := chromium(t)
	e := newEnv(t, false)
	e.h.cfg.PageSize = 12 // every row in the first screen: lazy thumbnails below it would never load
	loadCorpus(t, e.st)
	e.stored.Add(time.Hour)
	pic := richMessage(e)
	srv := httptest.NewServer(e.h)
	defer srv.Close()

	outDir := t.TempDir()
	if *saveScreenshots {
		outDir = "testdata"
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("window-size", "900,1300"), chromedp.Flag("lang", "en-GB"))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil { // start the browser before subscribing
		t.Fatalf("starting chromium: %v", err)
	}
	console := chromedp.Console(ctx)

	shot := func(name string) {
		t.Helper()
		b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(outDir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	must := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	must("log in",
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=password]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), testPassword),
		chromedp.Submit(chromedp.CSS(`input[name=password]`)),
		chromedp.WaitVisible(chromedp.CSS(`ul.list`)),
	)
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("ul.list li").length`))
	if err != nil || rows < 10 {
		t.Fatalf("list shows %d rows (%v)", rows, err)
	}
	if n := waitImages(t, ctx, "ul.list img"); n == 0 {
		t.Error("no thumbnail in the list decoded")
	}
	shot("inbox-list.png")

	must("open the message with an image",
		chromedp.Click(chromedp.CSS(`a[href="/m/`+pic.ID+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`section.part.image img`)),
	)
	if n := waitImages(t, ctx, "section.part img"); n != 1 {
		t.Errorf("%d images decoded on the message page, want 1", n)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`div.text`)))
	if err != nil || !strings.Contains(text, "Grüße aus Köln") {
		t.Errorf("text part %q (%v)", text, err)
	}
	shot("inbox-message.png")
	if m, _ := e.st.Get(pic.ID); !m.Seen {
		t.Error("opening the message in the browser did not mark it seen")
	}

	e.reg.Saw("fixedtokenfixedtokenfixedtoken00", visitFromSamsung(e))
	must("pair a phone",
		chromedp.Navigate(srv.URL+"/phones"),
		chromedp.SendKeys(chromedp.CSS(`input[name=name]`), "Anna's phone"),
		chromedp.SendKeys(chromedp.CSS(`input[name=number]`), "+447700900123"),
		chromedp.Submit(chromedp.CSS(`input[name=number]`)),
		chromedp.WaitVisible(chromedp.CSS(`section.added img.qr`)),
	)
	if n := waitImages(t, ctx, "img.qr"); n != 1 {
		t.Error("the QR code did not decode")
	}
	url, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`section.added .url code`)))
	if p, ok := e.reg.ByNumber("+447700900123"); !ok || err != nil || url != "http://203.0.113.9:8080/mms/"+p.Token {
		t.Errorf("shown URL %q (%v), phone %+v", url, err, p)
	}
	page, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`ul.phones`)))
	if err != nil || !strings.Contains(page, "SAMSUNG-SGH-E250/1.0") || !strings.Contains(page, "uaprof/SGH-E250.xml") {
		t.Errorf("the phones list lacks the last visit: %q (%v)", page, err)
	}
	shot("inbox-phones.png")

	cancel() // ends the console subscription
	for m, err := range console {
		if err != nil {
			break
		}
		if m.IsException() || strings.Contains(m.Text, "Content Security Policy") || m.Type == "error" {
			t.Errorf("browser console: %s", m)
		}
	}
	t.Logf("screenshots in %s", outDir)
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
