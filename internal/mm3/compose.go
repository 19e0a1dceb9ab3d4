package mm3

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"path"
	"strings"
	"time"

	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/smil"
	"github.com/homemmsc/homemmsc/internal/store"
)

// Mail is what Compose needs besides the message: the addresses of the
// e-mail's header.
type Mail struct {
	From string   // the From address, e.g. "homemmsc@example.org"
	To   []string // the recipients
}

// Compose writes stored message m (msg is its decoded PDU) as one
// RFC 5322 e-mail with CRLF line ends: see the package documentation for
// what goes where. The parts are streamed from msg, base64 or
// quoted-printable, never copied whole.
func Compose(w io.Writer, ml Mail, m store.Meta, msg *mms.Message) error {
	bw := bufio.NewWriter(w)
	boundary := newBoundary()
	writeHeaders(bw, ml, m, msg, boundary)
	parts := mms.Leaves(msg.Parts)
	order, _ := smil.Order(parts)
	names := map[string]bool{}
	for n, i := range order {
		p := parts[i]
		fmt.Fprintf(bw, "\r\n--%s\r\n", boundary)
		var err error
		if isText(p) {
			err = writeText(bw, p.Text())
		} else {
			err = writeAttachment(bw, p, unique(names, fileName(p, n)))
		}
		if err != nil {
			return err
		}
	}
	if len(order) == 0 && len(msg.Body) > 0 { // a single-part message
		fmt.Fprintf(bw, "\r\n--%s\r\n", boundary)
		p := &mms.Part{ContentType: msg.ContentType, Data: msg.Body}
		if err := writeAttachment(bw, p, fileName(p, 0)); err != nil {
			return err
		}
	}
	fmt.Fprintf(bw, "\r\n--%s--\r\n", boundary)
	return bw.Flush()
}

func writeHeaders(w *bufio.Writer, ml Mail, m store.Meta, msg *mms.Message, boundary string) {
	label := m.Sender.Label()
	subject := msg.Subject.Text()
	if strings.TrimSpace(subject) == "" {
		subject = "MMS from " + label
	}
	header(w, "From", (&mail.Address{Name: clean(label) + " via homemmsc", Address: clean(ml.From)}).String())
	header(w, "To", strings.Join(cleanAll(ml.To), ", "))
	header(w, "Subject", mime.QEncoding.Encode("utf-8", clean(subject)))
	header(w, "Date", m.Received.Format(time.RFC1123Z))
	header(w, "Message-ID", MessageID(m.ID, ml.From))
	header(w, "X-MMS-Sender", clean(senderLine(m.Sender)))
	if !m.ClockSynced {
		header(w, "X-MMS-Clock", "not synchronised when the message arrived; Date may be wrong")
	}
	header(w, "MIME-Version", "1.0")
	header(w, "Content-Type", mime.FormatMediaType("multipart/mixed", map[string]string{"boundary": boundary}))
}

// MessageID is the e-mail's Message-ID for stored message id: the same
// every time the message is sent, so a retry after a lost reply is
// recognisable as the same e-mail.
func MessageID(id, from string) string {
	domain := "homemmsc.invalid"
	if _, d, ok := strings.Cut(from, "@"); ok && d != "" {
		domain = clean(d)
	}
	return "<" + id + ".mms@" + domain + ">"
}

// senderLine says who sent the message and how the MMSC knows.
func senderLine(s store.Sender) string {
	switch {
	case s.Number == "":
		return "unknown"
	case s.Proven():
		return s.Number + " (proven: the paired phone's token)"
	}
	return s.Number + " (claimed by the message, not proven)"
}

func header(w *bufio.Writer, name, value string) {
	w.WriteString(name + ": " + value + "\r\n")
}

func writeText(w *bufio.Writer, text string) error {
	w.WriteString("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n" +
		"Content-Disposition: inline\r\n\r\n")
	qp := quotedprintable.NewWriter(w) // writes the text's line ends as CRLF
	if _, err := io.WriteString(qp, text); err != nil {
		return err
	}
	return qp.Close()
}

func writeAttachment(w *bufio.Writer, p *mms.Part, name string) error {
	ct := strings.ToLower(p.ContentType.MediaType)
	if _, _, err := mime.ParseMediaType(ct); err != nil || ct == "" {
		ct = "application/octet-stream"
	}
	w.WriteString("Content-Type: " + mime.FormatMediaType(ct, map[string]string{"name": name}) + "\r\n")
	w.WriteString("Content-Transfer-Encoding: base64\r\n")
	w.WriteString("Content-Disposition: " + mime.FormatMediaType("attachment", map[string]string{"filename": name}) + "\r\n\r\n")
	enc := base64.NewEncoder(base64.StdEncoding, &lineBreaker{w: w})
	if _, err := enc.Write(p.Data); err != nil {
		return err
	}
	return enc.Close()
}

// lineBreaker ends a line every 76 characters (RFC 2045 §6.8).
type lineBreaker struct {
	w *bufio.Writer
	n int
}

func (l *lineBreaker) Write(p []byte) (int, error) {
	for i, c := range p {
		if l.n == 76 {
			l.w.WriteString("\r\n")
			l.n = 0
		}
		if err := l.w.WriteByte(c); err != nil {
			return i, err
		}
		l.n++
	}
	return len(p), nil
}

func isText(p *mms.Part) bool { return strings.EqualFold(p.ContentType.MediaType, "text/plain") }

// fileName is the part's own name made safe (no directories, no control
// characters), else part-NN with the store's extension for its type.
func fileName(p *mms.Part, n int) string {
	name := clean(path.Base(strings.ReplaceAll(p.Filename(), `\`, "/")))
	if name == "" || name == "." || name == "/" || name == ".." {
		return fmt.Sprintf("part-%02d%s", n+1, store.FileExt(p.ContentType.MediaType))
	}
	return name
}

// unique returns name, or name-2.ext, name-3.ext... when taken.
func unique(taken map[string]bool, name string) string {
	out, ext := name, path.Ext(name)
	for i := 2; taken[strings.ToLower(out)]; i++ {
		out = fmt.Sprintf("%s-%d%s", strings.TrimSuffix(name, ext), i, ext)
	}
	taken[strings.ToLower(out)] = true
	return out
}

// clean removes what must not reach a header from text a phone sent:
// line ends (header injection) and other control characters.
func clean(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7F {
			return -1
		}
		return r
	}, s))
}

func cleanAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = clean(s)
	}
	return out
}

func newBoundary() string {
	b := make([]byte, 12)
	rand.Read(b)
	return "homemmsc-" + hex.EncodeToString(b)
}
