package mm3

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/faketime"
	"github.com/homemmsc/homemmsc/internal/mm3/smtptest"
	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/store"
	"github.com/homemmsc/homemmsc/internal/testcorpus"
)

var received = time.Date(2026, 3, 14, 12, 30, 0, 0, time.UTC)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	c := faketime.New(received)
	st, err := store.Open(store.Config{Dir: t.TempDir(), MinFree: -1, Now: c.Now, ClockSynced: func() bool { return true }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

var anna = store.Sender{Number: "+15550001111", Name: "Anna's phone", Source: store.SourceToken}

// picture is a message whose SMIL plays the text before the photo and
// the sound after, though the PDU has them in another order; the text is
// Latin-1, the sound's name tries to climb out of a directory.
func picture() *mms.Message {
	return &mms.Message{
		Type: mms.TypeSendReq, TransactionID: "T1", Version: mms.Version12,
		From: mms.Address{Insert: true}, To: []mms.Address{mms.PLMN("+15550002222")},
		Subject:     mms.Text("Grüße vom Strand"),
		ContentType: mms.ContentType{MediaType: "application/vnd.wap.multipart.related"},
		Parts: []mms.Part{
			{ContentType: mms.ContentType{MediaType: "image/jpeg", Params: []mms.Param{{Name: "name", Value: "beach.jpg"}}},
				ContentLocation: "beach.jpg", Data: []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00 \x00\r\n.\r\n \xff\xd9")},
			{ContentType: mms.ContentType{MediaType: "application/smil"}, ContentID: "<smil>", ContentLocation: "smil.xml",
				Data: []byte(`<smil><body><par><text src="t.txt"/><img src="beach.jpg"/></par><par><audio src="cid:snd"/></par></body></smil>`)},
			{ContentType: mms.ContentType{MediaType: "audio/amr", Params: []mms.Param{{Name: "name", Value: "../../etc/waves.amr"}}},
				ContentID: "<snd>", Data: []byte("#!AMR\n\x00\x01\x02")},
			{ContentType: mms.ContentType{MediaType: "text/plain", Params: []mms.Param{{Name: "charset", Value: "iso-8859-1"}}},
				ContentLocation: "t.txt", Data: []byte("Sch\xf6ne Gr\xfc\xdfe!\nZeile zwei.\n.\nEnde")},
		},
	}
}

func put(t *testing.T, st *store.Store, msg *mms.Message, s store.Sender) store.Meta {
	t.Helper()
	pdu, err := msg.Encode()
	if err != nil {
		t.Fatal(err)
	}
	dec, err := mms.Decode(pdu)
	if err != nil {
		t.Fatal(err)
	}
	m, err := st.Put(store.Incoming{PDU: pdu, Msg: dec, Sender: s})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestForwardStartTLS sends a message through a real SMTP server
// (aiosmtpd, STARTTLS and AUTH against a test CA) and reads it back with
// Python's email package: headers, the text in UTF-8, the attachments
// byte for byte, in SMIL order.
func TestForwardStartTLS(t *testing.T) {
	srv := smtptest.Start(t, "starttls")
	st := openStore(t)
	m := put(t, st, picture(), anna)
	s, err := New(config(srv, StartTLS, "me@example.org", "partner@example.org"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Forward(context.Background(), st, m.ID); err != nil {
		t.Fatal(err)
	}
	got := srv.Received()
	if len(got) != 1 {
		t.Fatalf("%d e-mails received, want 1", len(got))
	}
	if env := smtptest.Envelope(t, got[0]); !slices.Equal(env, []string{"homemmsc@example.org", "me@example.org", "partner@example.org"}) {
		t.Errorf("envelope %q", env)
	}
	p := srv.Parse(t, got[0])
	if len(p.Defects) != 0 {
		t.Errorf("Python found defects: %v", p.Defects)
	}
	if p.Subject != "Grüße vom Strand" || p.From != `Anna's phone via homemmsc <homemmsc@example.org>` ||
		len(p.To) != 2 || p.MessageID != "<"+m.ID+".mms@example.org>" || p.Date != "Sat, 14 Mar 2026 12:30:00 +0000" {
		t.Errorf("headers: %+v", p)
	}
	if len(p.Texts) != 1 || p.Texts[0] != "Schöne Grüße!\nZeile zwei.\n.\nEnde" {
		t.Errorf("texts %q", p.Texts)
	}
	in := picture().Parts
	want := []struct {
		name, ct string
		data     []byte
	}{
		{"beach.jpg", "image/jpeg", in[0].Data},
		{"waves.amr", "audio/amr", in[2].Data},
		{"smil.xml", "application/smil", in[1].Data},
	}
	if len(p.Attachments) != len(want) {
		t.Fatalf("%d attachments, want %d: %+v", len(p.Attachments), len(want), p.Attachments)
	}
	for i, w := range want {
		a := p.Attachments[i]
		if a.Filename != w.name || a.ContentType != w.ct || !bytes.Equal(a.Data(), w.data) {
			t.Errorf("attachment %d: %s %s (%d bytes), want %s %s (%d bytes)", i, a.Filename, a.ContentType,
				len(a.Data()), w.name, w.ct, len(w.data))
		}
	}
}

// TestForwardImplicitTLS uses TLS from the first byte (port 465 style).
func TestForwardImplicitTLS(t *testing.T) {
	srv := smtptest.Start(t, "tls")
	st := openStore(t)
	m := put(t, st, picture(), store.Sender{Number: "+15550003333", Source: store.SourceFrom})
	s, _ := New(config(srv, ImplicitTLS, "me@example.org"))
	if err := s.Forward(context.Background(), st, m.ID); err != nil {
		t.Fatal(err)
	}
	got := srv.Received()
	if len(got) != 1 {
		t.Fatalf("%d e-mails", len(got))
	}
	if p := srv.Parse(t, got[0]); !strings.Contains(p.From, "+15550003333 (claimed) via homemmsc") {
		t.Errorf("a claimed sender is not marked: %q", p.From)
	}
}

// TestForwardCorpus forwards every real message of the corpus: each is
// delivered, every text part arrives as its UTF-8 text and every other
// part as an attachment with its bytes.
func TestForwardCorpus(t *testing.T) {
	dir := testcorpus.Dir(t, "mms")
	srv := smtptest.Start(t, "starttls")
	st := openStore(t)
	s, _ := New(config(srv, StartTLS, "me@example.org"))
	names, _ := filepath.Glob(filepath.Join(dir, "*"))
	var metas []store.Meta
	var msgs []*mms.Message
	for _, name := range names {
		pdu, _ := os.ReadFile(name)
		msg, err := mms.Decode(pdu)
		if err != nil || len(msg.Parts) == 0 {
			continue
		}
		m, err := st.Put(store.Incoming{PDU: pdu, Msg: msg, Sender: anna})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Forward(context.Background(), st, m.ID); err != nil {
			t.Fatalf("%s: %v", filepath.Base(name), err)
		}
		metas, msgs = append(metas, m), append(msgs, msg)
	}
	got := srv.Received()
	if len(got) != len(metas) || len(metas) < 10 {
		t.Fatalf("%d e-mails for %d messages", len(got), len(metas))
	}
	for i, eml := range got {
		p := srv.Parse(t, eml)
		var texts, others [][]byte
		for _, l := range mms.Leaves(msgs[i].Parts) {
			if isText(l) {
				texts = append(texts, []byte(l.Text()))
			} else {
				others = append(others, l.Data)
			}
		}
		if len(p.Texts) != len(texts) || len(p.Attachments) != len(others) {
			t.Errorf("%s: %d texts, %d attachments; want %d, %d", metas[i].ID, len(p.Texts), len(p.Attachments), len(texts), len(others))
			continue
		}
		for _, want := range others { // SMIL order: find each by content
			if !anyEqual(p, want) {
				t.Errorf("%s: an attachment of %d bytes did not arrive intact", metas[i].ID, len(want))
			}
		}
	}
	t.Logf("%d corpus messages forwarded and read back by Python's email package", len(got))
}

func anyEqual(p smtptest.Mail, want []byte) bool {
	for _, a := range p.Attachments {
		if bytes.Equal(a.Data(), want) {
			return true
		}
	}
	return false
}

// TestServerDown: nothing listens; the error is temporary.
func TestServerDown(t *testing.T) {
	st := openStore(t)
	m := put(t, st, picture(), anna)
	s, _ := New(Config{Host: "127.0.0.1", Port: smtptest.FreePort(t), From: "a@example.org", To: []string{"b@example.org"}, Timeout: 5 * time.Second})
	err := s.Forward(context.Background(), st, m.ID)
	var e *Error
	if !errors.As(err, &e) || e.Step != "connect" || !Temporary(err) || AuthRefused(err) {
		t.Fatalf("got %v, want a temporary connect error", err)
	}
}

// TestAuthRefused: a wrong password is refused, nothing is sent, and the
// message waits (temporary) for the owner to fix the password.
func TestAuthRefused(t *testing.T) {
	srv := smtptest.Start(t, "starttls")
	st := openStore(t)
	m := put(t, st, picture(), anna)
	cfg := config(srv, StartTLS, "me@example.org")
	cfg.Password = "wrong"
	s, _ := New(cfg)
	err := s.Forward(context.Background(), st, m.ID)
	if !AuthRefused(err) || !Temporary(err) {
		t.Fatalf("got %v, want the login refused", err)
	}
	if n := len(srv.Received()); n != 0 {
		t.Fatalf("%d e-mails accepted", n)
	}
}

// TestTemporaryRefusal: a 4xx to a recipient is temporary, and no data
// is sent, so a retry cannot duplicate the e-mail.
func TestTemporaryRefusal(t *testing.T) {
	srv := smtptest.Start(t, "starttls")
	st := openStore(t)
	m := put(t, st, picture(), anna)
	s, _ := New(config(srv, StartTLS, "me@example.org", "full@example.org"))
	err := s.Forward(context.Background(), st, m.ID)
	var e *Error
	if !errors.As(err, &e) || e.Step != "RCPT" || e.Code != 452 || !Temporary(err) {
		t.Fatalf("got %v, want a temporary RCPT refusal", err)
	}
	if n := len(srv.Received()); n != 0 {
		t.Fatalf("%d e-mails accepted", n)
	}
}

// TestPermanentRefusal: a 5xx to a recipient is permanent.
func TestPermanentRefusal(t *testing.T) {
	srv := smtptest.Start(t, "starttls")
	st := openStore(t)
	m := put(t, st, picture(), anna)
	s, _ := New(config(srv, StartTLS, "me@example.org", "reject@example.org"))
	err := s.Forward(context.Background(), st, m.ID)
	var e *Error
	if !errors.As(err, &e) || e.Code != 550 || Temporary(err) {
		t.Fatalf("got %v, want a permanent RCPT refusal", err)
	}
	if n := len(srv.Received()); n != 0 {
		t.Fatalf("%d e-mails accepted", n)
	}
}

// TestForwardGone: a deleted message is a permanent error, not a retry.
func TestForwardGone(t *testing.T) {
	st := openStore(t)
	m := put(t, st, picture(), anna)
	st.Delete(m.ID)
	s, _ := New(Config{Host: "127.0.0.1", From: "a@example.org", To: []string{"b@example.org"}})
	if err := s.Forward(context.Background(), st, m.ID); !errors.Is(err, ErrGone) || Temporary(err) {
		t.Fatalf("got %v", err)
	}
}

// TestComposeHeaderInjection: a subject and sender name with line ends
// cannot add headers.
func TestComposeHeaderInjection(t *testing.T) {
	msg := picture()
	msg.Subject = mms.Text("hi\r\nBcc: victim@example.org")
	var b bytes.Buffer
	s := store.Sender{Number: "+15550001111", Name: "Evil\r\nX-Evil: 1", Source: store.SourceToken}
	if err := Compose(&b, Mail{From: "a@example.org", To: []string{"b@example.org"}}, store.Meta{ID: "20260314-123000-000001", Sender: s, Received: received}, msg); err != nil {
		t.Fatal(err)
	}
	head, _, _ := strings.Cut(b.String(), "\r\n\r\n")
	for _, line := range strings.Split(head, "\r\n") {
		if strings.HasPrefix(line, "Bcc:") || strings.HasPrefix(line, "X-Evil:") {
			t.Errorf("injected header line %q", line)
		}
	}
}
