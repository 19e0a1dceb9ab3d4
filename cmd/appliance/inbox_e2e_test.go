package main_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/homemmsc/homemmsc/internal/mms"
)

// testInbox (a subtest of TestLANE2E, which builds the binary) runs the
// binary with -lan and -inbox-password-file: a message posted to the
// MMSC listener shows in the inbox on the LAN listener after login, and
// the inbox is nowhere on the MMSC listener.
func testInbox(t *testing.T, bin, corpus string) {
	root, cwd, data := dirs(t)
	pwFile := filepath.Join(root, "inbox-password")
	if err := os.WriteFile(pwFile, []byte("a long enough password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	lan := freeAddr(t)
	p := e2eStart(t, bin, cwd, data, "-lan", lan, "-inbox-password-file", pwFile)
	waitHealthy(t, lan)
	r, err := p.post(openPath, withTID(e2eRead(t, corpus, "python-messaging__iPhone.mms"), "inbox-e2e"))
	if err != nil || checkConf(t, "post", r, "inbox-e2e", mms.Version12, mms.StatusOk) == nil {
		t.Fatalf("post: %v", err)
	}
	if code := get(t, p.client, "http://"+p.addr+"/login").Code; code != http.StatusNotFound {
		t.Errorf("GET /login on -listen: %d, want 404 (the inbox is on -lan only)", code)
	}

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	base := "http://" + lan
	page := func(path string) string {
		t.Helper()
		resp, err := c.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	login := page("/")
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(login)
	if m == nil {
		t.Fatalf("GET / before login shows no login form:\n%s", login)
	}
	resp, err := c.PostForm(base+"/login", url.Values{"csrf": {m[1]}, "password": {"a long enough password"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "1 message") {
		t.Fatalf("after login: %d\n%s", resp.StatusCode, body)
	}
	id := regexp.MustCompile(`href="/m/([0-9-]+)"`).FindStringSubmatch(page("/messages"))
	if id == nil {
		t.Fatal("no message link in the list of all messages")
	}
	if msg := page("/m/" + id[1]); !strings.Contains(msg, `class="part image"`) {
		t.Errorf("the iPhone message shows no image:\n%s", msg)
	}
	if status := page("/status"); !strings.Contains(status, "lan-e2e") || !strings.Contains(status, "Display") {
		t.Errorf("status page lacks the version or the appliance's rows:\n%s", status)
	}
	if code := get(t, p.client, base+"/healthz").Code; code != http.StatusOK {
		t.Errorf("/healthz beside the inbox: %d", code)
	}
	p.stop()
	if strings.Contains(p.log.String(), "a long enough password") {
		t.Error("the password appears in the log")
	}
}
