// Command mmsphone is a phone in a command: it composes an MMS the way a
// phone does (an M-Send.req with a SMIL slide, a text and, if given, a
// picture; From is the insert-address token, so the MMSC names the
// sender), POSTs it to an MMSC URL and prints the MMSC's answer in words.
//
// For newcomers, to see homemmsc take a message (make run, then
// mmsphone -to +15551230000 -text Hi 'http://127.0.0.1:8080/mms?n=+15557654321'),
// and for owners, to check from outside that the port forward reaches the
// appliance and that a phone's token URL is right.
//
// It exits 0 when the MMSC answered Ok, 1 when it refused the message or
// could not be reached, 2 for a usage error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the flags.
type options struct {
	url, to, text, image, subject, from, userAgent string
	timeout                                        time.Duration
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parse(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "mmsphone:", err)
		return 2
	}
	msg, err := compose(o, time.Now())
	if err != nil {
		fmt.Fprintln(stderr, "mmsphone:", err)
		return 2
	}
	pdu, err := msg.Encode()
	if err != nil {
		fmt.Fprintln(stderr, "mmsphone: encoding the M-Send.req:", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	fmt.Fprintf(stdout, "posting an M-Send.req of %d bytes (transaction %s, %d parts) to %s\n", len(pdu), msg.TransactionID, len(msg.Parts), redact(o.url))
	a := post(ctx, o.url, o.userAgent, pdu)
	fmt.Fprintln(stdout, a.words(msg.TransactionID))
	if !a.ok() {
		return 1
	}
	return 0
}

func parse(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("mmsphone", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: mmsphone [flags] MMSC-URL\n\nMMSC-URL is what a phone's MMSC setting holds, e.g. http://host:8080/mms/<token>\nor, on an open endpoint, http://host:8080/mms?n=<sender's number>.\n\nflags:")
		fs.PrintDefaults()
	}
	fs.StringVar(&o.to, "to", "", "recipient number(s), comma-separated (required)")
	fs.StringVar(&o.text, "text", "Hello from mmsphone", "the message's text")
	fs.StringVar(&o.image, "image", "", "a picture file to attach (JPEG, PNG or GIF)")
	fs.StringVar(&o.subject, "subject", "", "the message's subject")
	fs.StringVar(&o.from, "from", "", "put this number in From instead of the insert-address token phones send")
	fs.StringVar(&o.userAgent, "user-agent", "homemmsc-mmsphone/1.0", "the User-Agent header")
	fs.DurationVar(&o.timeout, "timeout", 60*time.Second, "how long to wait for the MMSC's answer")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return o, fmt.Errorf("want one MMSC URL, got %d arguments", fs.NArg())
	}
	o.url = fs.Arg(0)
	if !strings.HasPrefix(o.url, "http://") && !strings.HasPrefix(o.url, "https://") {
		return o, fmt.Errorf("MMSC URL %q: want http:// or https://", o.url)
	}
	if o.to == "" {
		return o, fmt.Errorf("-to is required: the recipient's number")
	}
	return o, nil
}

// redact keeps most of a token out of the terminal, as the appliance's
// log does: a screenshot of the output should not pair a stranger.
func redact(u string) string {
	i := strings.Index(u, "/mms/")
	if i < 0 || len(u) < i+len("/mms/")+4 {
		return u
	}
	return u[:i+len("/mms/")+4] + "…(token)"
}
