package modem

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/homemmsc/homemmsc/internal/modem/sms"
)

// SendTest is the -modem-test hardware check: it starts the device cfg
// describes, waits (up to 5 minutes) until it can send, and sends one SMS
// of text to to, printing the status and each part's message reference
// to out.
func SendTest(ctx context.Context, cfg DeviceConfig, to, text string, out io.Writer) error {
	pdus, err := sms.Encode(sms.Message{To: to, Text: text})
	if err != nil {
		return err
	}
	cfg.MaxBackoff = time.Second
	dev := NewDevice(cfg)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	ready := dev.Ready()
	done := make(chan struct{})
	go func() { dev.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	select {
	case <-ready:
	case <-ctx.Done():
		return errors.Join(ctx.Err(), errors.New(dev.Status().LastError))
	}
	fmt.Fprintf(out, "homemmsc: modem status %+v\n", dev.Status())
	for _, p := range pdus {
		mr, err := dev.Send(ctx, p)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "homemmsc: part %d/%d accepted, message reference %d\n", p.Part, p.Parts, mr)
	}
	return nil
}

// RunTest is -modem-test: it runs SendTest on the device cfg describes,
// printing every AT exchange and the outcome to out, and returns the
// exit code.
func RunTest(ctx context.Context, cfg DeviceConfig, to, text string, out io.Writer) int {
	cfg.Logger = slog.New(slog.NewTextHandler(out, nil))
	cfg.Session.Trace = func(dir byte, line string) { fmt.Fprintf(out, "%c %q\n", dir, line) }
	if err := SendTest(ctx, cfg, to, text, out); err != nil {
		fmt.Fprintln(out, "homemmsc: modem test failed:", err)
		return 1
	}
	fmt.Fprintln(out, "homemmsc: modem test SMS handed to the network")
	return 0
}
