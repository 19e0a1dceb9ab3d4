package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/homemmsc/homemmsc/internal/mms"
)

// maxAnswer is the most of an answer read: an M-Send.conf is a few dozen
// bytes, an error page a few hundred.
const maxAnswer = 64 << 10

// answer is what the MMSC said to the POST.
type answer struct {
	err    error        // the request failed: no answer
	status int          // the HTTP status
	ctype  string       // the reply's media type
	body   []byte       // up to maxAnswer bytes of it
	conf   *mms.Message // the decoded M-Send.conf, if it was one
	decErr error        // why the body is not an M-Send.conf
}

// post sends the PDU as a phone does and reads the answer.
func post(ctx context.Context, url, userAgent string, pdu []byte) answer {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(pdu))
	if err != nil {
		return answer{err: err}
	}
	req.Header.Set("Content-Type", "application/vnd.wap.mms-message")
	req.Header.Set("Accept", "*/*, application/vnd.wap.mms-message, application/vnd.wap.sic")
	req.Header.Set("User-Agent", userAgent)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse // phones do not follow redirects
	}}
	resp, err := client.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return answer{err: fmt.Errorf("reading the answer: %w", err)}
	}
	a := answer{status: resp.StatusCode, body: body}
	a.ctype, _, _ = mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if a.status == http.StatusOK && a.ctype == "application/vnd.wap.mms-message" {
		a.conf, a.decErr = mms.Decode(body)
		if a.decErr == nil && a.conf.Type != mms.TypeSendConf {
			a.decErr = fmt.Errorf("a %v, not an M-Send.conf", a.conf.Type)
		}
	}
	return a
}

// ok reports whether the MMSC took the message: an M-Send.conf with Ok
// and a Message-ID, which is what a phone counts as sent.
func (a answer) ok() bool {
	return a.conf != nil && a.decErr == nil && a.conf.ResponseStatus == mms.StatusOk && a.conf.MessageID != ""
}

// words says what a phone would make of the answer.
func (a answer) words(tid string) string {
	switch {
	case a.err != nil:
		return "Not sent: no answer from the MMSC: " + a.err.Error()
	case a.status != http.StatusOK:
		return fmt.Sprintf("Not sent: HTTP %d %s%s (a phone counts any HTTP error as not sent; Android retries it by itself later)",
			a.status, http.StatusText(a.status), plain(a.body))
	case a.ctype != "application/vnd.wap.mms-message":
		return fmt.Sprintf("Not sent: HTTP 200 but a %q answer, not an M-Send.conf: this URL is not an MMSC%s", a.ctype, plain(a.body))
	case a.decErr != nil:
		return "Not sent: the answer is not an M-Send.conf a phone could read: " + a.decErr.Error()
	}
	return a.confWords(tid)
}

// confWords describes an M-Send.conf.
func (a answer) confWords(tid string) string {
	c := a.conf
	var b strings.Builder
	switch {
	case a.ok():
		fmt.Fprintf(&b, "Ok: the MMSC took the message; Message-ID %s", c.MessageID)
	case c.ResponseStatus == mms.StatusOk:
		b.WriteString("Not sent: Ok without a Message-ID, which phones count as a failure")
	default:
		fmt.Fprintf(&b, "Not sent: %v (0x%02X)", c.ResponseStatus, byte(c.ResponseStatus))
	}
	if t := c.ResponseText.String(); t != "" {
		fmt.Fprintf(&b, ": %q", t)
	}
	fmt.Fprintf(&b, " (M-Send.conf, MMS %v", c.Version)
	if c.TransactionID != tid {
		fmt.Fprintf(&b, ", transaction %q where the request had %q", c.TransactionID, tid)
	}
	b.WriteString(")")
	return b.String()
}

// plain quotes a short plain-text answer, as the MMSC's own refusals are.
func plain(body []byte) string {
	s := strings.TrimSpace(string(body))
	if s == "" || len(s) > 200 || strings.ContainsAny(s, "<\x00") {
		return ""
	}
	return ": " + s
}
