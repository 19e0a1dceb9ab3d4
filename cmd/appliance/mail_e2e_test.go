package main_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/mm3/smtptest"
	"github.com/homemmsc/homemmsc/internal/mms"
)

// TestMailE2E runs the real binary with e-mail forwarding to a real SMTP
// server (aiosmtpd, STARTTLS and AUTH, its CA given to the binary as
// SSL_CERT_FILE) and no modem: a message posted by a phone arrives as an
// e-mail Python's email package reads, with the picture byte-equal;
// /metrics counts it; after a restart the next message is mailed and the
// first is not mailed again.
func TestMailE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped with -short")
	}
	srv := smtptest.Start(t, "starttls")
	t.Setenv("SSL_CERT_FILE", srv.CAFile) // the binary's "system" roots: the test CA
	bin := e2eBuild(t, t.TempDir(), "mail-e2e")
	_, cwd, data := dirs(t)
	pw := filepath.Join(t.TempDir(), "mail-password")
	if err := os.WriteFile(pw, []byte(smtptest.Password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	lan := freeAddr(t)
	args := []string{"-open", "on", "-lan", lan, "-mail-server", "127.0.0.1:" + strconv.Itoa(srv.Port),
		"-mail-user", smtptest.User, "-mail-password-file", pw, "-mail-from", "homemmsc@example.org", "-mail-to", "me@example.org"}
	p := e2eStart(t, bin, cwd, data, args...)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("appliance log:\n%s", p.log.String())
		}
	})
	photo := bytes.Repeat([]byte{0xff, 0xd8, 0x42, 0x00, '\r', '\n', '.'}, 3000)
	mailPost(t, p, "first", photo)
	got := waitMails(t, srv, 1)
	m := srv.Parse(t, got[0])
	if m.Subject != "first" || len(m.Texts) != 1 || m.Texts[0] != "hello from the e2e test" || len(m.Defects) != 0 {
		t.Errorf("e-mail: %+v", m)
	}
	if len(m.Attachments) != 1 || m.Attachments[0].Filename != "photo.jpg" || !bytes.Equal(m.Attachments[0].Data(), photo) {
		t.Errorf("attachments %d, want the photo byte for byte", len(m.Attachments))
	}
	waitMetric(t, lan, `homemmsc_outbox_sent_total{kind="email"}`, 1)
	p.stop()

	p = e2eStart(t, bin, cwd, data, args...)
	mailPost(t, p, "second", photo)
	got = waitMails(t, srv, 2)
	if s := srv.Parse(t, got[1]).Subject; s != "second" {
		t.Errorf("after the restart the e-mail is %q, want the second message", s)
	}
	p.stop()
	if n := len(srv.Received()); n != 2 {
		t.Errorf("%d e-mails, want 2: the first was sent again", n)
	}
}

// mailPost posts an M-Send.req with a text and a picture to the open
// endpoint and checks the phone is told Ok.
func mailPost(t *testing.T, p *e2eProc, subject string, photo []byte) {
	t.Helper()
	req := &mms.Message{Type: mms.TypeSendReq, TransactionID: "T-mail-" + subject, Version: mms.Version12,
		From: mms.Address{Insert: true}, To: []mms.Address{mms.PLMN("+15559990000")}, Subject: mms.Text(subject),
		ContentType: mms.ContentType{MediaType: "application/vnd.wap.multipart.mixed"},
		Parts: []mms.Part{
			{ContentType: mms.ContentType{MediaType: "text/plain", Params: []mms.Param{{Name: "charset", Value: "utf-8"}}}, Data: []byte("hello from the e2e test")},
			{ContentType: mms.ContentType{MediaType: "image/jpeg", Params: []mms.Param{{Name: "name", Value: "photo.jpg"}}}, Data: photo},
		}}
	pdu, err := req.Encode()
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.post(openPath, pdu)
	if err != nil {
		t.Fatal(err)
	}
	if conf, err := mms.Decode(r.Body); err != nil || conf.ResponseStatus != mms.StatusOk {
		t.Fatalf("post: HTTP %d, %v %+v", r.Code, err, conf)
	}
}

// waitMails waits for the server to have accepted n e-mails; the e-mail
// goes out through the outbox a moment after the phone's Ok.
func waitMails(t *testing.T, srv *smtptest.Server, n int) []string {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if got := srv.Received(); len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d e-mails after 20 s, want %d", len(srv.Received()), n)
		}
	}
}
