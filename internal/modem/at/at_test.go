package at

import (
	"context"
	"errors"
	"io"
	"reflect"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/homemmsc/homemmsc/internal/modem/at/attest"
)

type step = attest.Step

func ex(write, reply string) step { return step{Write: write, Reply: reply} }

// run starts an engine on a playback of steps inside a synctest bubble,
// calls fn, and checks the script was used up.
func run(t *testing.T, steps []step, fn func(t *testing.T, a *AT)) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		p := attest.New(steps...)
		a := New(p, Config{})
		fn(t, a)
		a.Close()
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
}

func mustCommand(t *testing.T, a *AT, cmd string, want ...string) {
	t.Helper()
	info, err := a.Command(context.Background(), cmd)
	if err != nil {
		t.Fatalf("AT%s: %v", cmd, err)
	}
	if len(want) == 0 {
		want = nil
	}
	if !reflect.DeepEqual(info, want) {
		t.Errorf("AT%s: info %q, want %q", cmd, info, want)
	}
}

func TestEchoOffAndOn(t *testing.T) {
	run(t, []step{
		ex("AT\r", "AT\r\r\nOK\r\n"), // echo on
		ex("ATE0\r", "ATE0\r\r\nOK\r\n"),
		ex("AT+CSQ\r", "\r\n+CSQ: 17,99\r\n\r\nOK\r\n"),
		ex("AT+CPMS?\r", "ATE0+CPMS?\r\r\n+CPMS: \"SM\",0,30\r\nOK\r\n"), // ZTE merged echo
	}, func(t *testing.T, a *AT) {
		mustCommand(t, a, "")
		mustCommand(t, a, "E0")
		mustCommand(t, a, "+CSQ", "+CSQ: 17,99")
		mustCommand(t, a, "+CPMS?", `+CPMS: "SM",0,30`)
	})
}

func TestIndicationsBetweenCommandAndReply(t *testing.T) {
	var mu sync.Mutex
	var got [][]string
	record := func(l []string) { mu.Lock(); got = append(got, l); mu.Unlock() }
	run(t, []step{
		ex("", "\r\n^BOOT:12,0,0,4,72\r\n"),
		ex("AT+CSQ\r", "\r\n^RSSI:25\r\n+CSQ: 20,99\r\n+CMTI: \"SM\",3\r\nRING\r\n\r\nOK\r\n"),
		ex("AT+CREG?\r", "\r\n+CREG: 0,1\r\n\r\nOK\r\n"),
		ex("AT\r", "\r\n+CDS: 25\r\n07914477790706520006D30B914477...\r\nOK\r\n"),
		ex("", "\r\n+CREG: 5\r\n"),
	}, func(t *testing.T, a *AT) {
		for _, p := range []string{"^BOOT:", "^RSSI:", "+CMTI:", "RING", "+CREG:"} {
			a.AddIndication(p, 0, record)
		}
		a.AddIndication("+CDS:", 1, record)
		mustCommand(t, a, "+CSQ", "+CSQ: 20,99")
		mustCommand(t, a, "+CREG?", "+CREG: 0,1") // the reply, not an indication
		mustCommand(t, a, "")
		synctest.Wait()
	})
	want := [][]string{{"^BOOT:12,0,0,4,72"}, {"^RSSI:25"}, {`+CMTI: "SM",3`}, {"RING"},
		{"+CDS: 25", "07914477790706520006D30B914477..."}, {"+CREG: 5"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("indications %q, want %q", got, want)
	}
}

func TestFinalResults(t *testing.T) {
	tests := []struct {
		reply string
		check func(error) bool
	}{
		{"\r\nERROR\r\n", func(err error) bool { return errors.Is(err, ErrError) }},
		{"\r\nCOMMAND NOT SUPPORT\r\n", func(err error) bool { return errors.Is(err, ErrError) }},
		{"\r\n+CME ERROR: 14\r\n", cme(14)},
		{"\r\n+CME ERROR: SIM busy\r\n", cme(14)},           // +CMEE=2
		{"\r\n+CME ERROR: incorrect password\r\n", cme(16)}, // +CMEE=2
		{"\r\n+CME ERROR: something new\r\n", cme(-1)},
		{"\r\n+CMS ERROR: 500\r\n", cms(500)},
		{"\r\n+CMS ERROR: SMSC address unknown\r\n", cms(330)},
		{"\r\nERROR: 58\r\n", cme(58)},
	}
	for _, tt := range tests {
		run(t, []step{ex("AT+GCAP\r", tt.reply)}, func(t *testing.T, a *AT) {
			_, err := a.Command(context.Background(), "+GCAP")
			if !tt.check(err) {
				t.Errorf("reply %q: error %v", tt.reply, err)
			}
		})
	}
}

func cme(code int) func(error) bool {
	return func(err error) bool { var e *CMEError; return errors.As(err, &e) && e.Code == code }
}

func cms(code int) func(error) bool {
	return func(err error) bool { var e *CMSError; return errors.As(err, &e) && e.Code == code }
}

const pdu = "0001000B915155674523F100000AE8329BFD4697D9EC37"

func TestSMSPrompts(t *testing.T) {
	prompts := map[string]string{
		"spec":           "\r\n> ",
		"no space":       "\r\n>",
		"SIMCom":         "\r\n>\r\n",
		"echoed PDU":     "\r\n> ",
		"bare":           ">",
		"echo on prompt": "AT+CMGS=22\r\r\n> ",
	}
	for name, prompt := range prompts {
		t.Run(name, func(t *testing.T) {
			reply := "\r\n+CMGS: 12\r\n\r\nOK\r\n"
			if name == "echoed PDU" {
				reply = pdu + "\x1a\r\n" + reply
			}
			run(t, []step{
				ex("AT+CMGS=22\r", prompt),
				ex(pdu+"\x1a", reply),
			}, func(t *testing.T, a *AT) {
				info, err := a.SMSCommand(context.Background(), "+CMGS=22", pdu)
				if err != nil || !reflect.DeepEqual(info, []string{"+CMGS: 12"}) {
					t.Errorf("got %q, %v", info, err)
				}
			})
		})
	}
}

func TestSMSErrorBeforePrompt(t *testing.T) {
	run(t, []step{ex("AT+CMGS=22\r", "\r\n+CMS ERROR: 304\r\n")}, func(t *testing.T, a *AT) {
		_, err := a.SMSCommand(context.Background(), "+CMGS=22", pdu)
		if !cms(304)(err) {
			t.Errorf("got %v, want +CMS ERROR: 304", err)
		}
	})
}

// A +CMGS whose result never comes: after SMSTimeout the engine writes
// ESC, takes the modem's late answer as the end of that exchange, and the
// retry goes through.
func TestSMSNeverAnswersThenRetry(t *testing.T) {
	run(t, []step{
		ex("AT+CMGS=22\r", "\r\n> "),
		ex(pdu+"\x1a", ""), // silence
		ex("\x1b", "\r\nERROR\r\n"),
		ex("AT+CMGS=22\r", "\r\n> "),
		ex(pdu+"\x1a", "\r\n+CMGS: 13\r\n\r\nOK\r\n"),
	}, func(t *testing.T, a *AT) {
		start := time.Now()
		_, err := a.SMSCommand(context.Background(), "+CMGS=22", pdu)
		if !errors.Is(err, ErrTimeout) {
			t.Fatalf("got %v, want ErrTimeout", err)
		}
		if waited := time.Since(start); waited != 2*time.Minute {
			t.Errorf("gave up after %v, want the 2 min SMS timeout", waited)
		}
		info, err := a.SMSCommand(context.Background(), "+CMGS=22", pdu)
		if err != nil || info[0] != "+CMGS: 13" {
			t.Errorf("retry: %q, %v", info, err)
		}
	})
}

// No prompt at all: ESC after the command timeout.
func TestSMSNoPrompt(t *testing.T) {
	run(t, []step{
		ex("AT+CMGS=22\r", ""),
		ex("\x1b", "\r\nOK\r\n"),
		ex("AT\r", "\r\nOK\r\n"),
	}, func(t *testing.T, a *AT) {
		_, err := a.SMSCommand(context.Background(), "+CMGS=22", pdu)
		if !errors.Is(err, ErrPrompt) {
			t.Fatalf("got %v, want ErrPrompt", err)
		}
		mustCommand(t, a, "")
	})
}

// A plain command that times out, whose late OK must not answer the next
// command.
func TestLateReplyNotTakenForNext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := attest.New(
			ex("AT+COPS?\r", ""),
			ex("AT+CSQ\r", "\r\n+CSQ: 9,99\r\nOK\r\n"),
		)
		a := New(p, Config{Timeout: time.Second})
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		if _, err := a.Command(ctx, "+COPS?"); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("got %v, want deadline exceeded", err)
		}
		// The engine drains for one timeout before it writes AT+CSQ.
		mustCommand(t, a, "+CSQ", "+CSQ: 9,99")
		a.Close()
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
}

func TestContextCancelledBeforeSend(t *testing.T) {
	run(t, nil, func(t *testing.T, a *AT) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := a.Command(ctx, "+CSQ"); !errors.Is(err, context.Canceled) {
			t.Errorf("got %v", err)
		}
	})
}

func TestPortVanishes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := attest.New(ex("AT+CSQ\r", "\r\n+CSQ: 9,99\r\n"))
		a := New(p, Config{})
		go func() {
			synctest.Wait()
			p.Unplug()
		}()
		_, err := a.Command(context.Background(), "+CSQ")
		if !errors.Is(err, io.EOF) {
			t.Errorf("got %v, want EOF", err)
		}
		<-a.Done()
		if !errors.Is(a.Err(), io.EOF) {
			t.Errorf("Err() = %v", a.Err())
		}
		if _, err := a.Command(context.Background(), "+CSQ"); !errors.Is(err, io.EOF) {
			t.Errorf("after unplug: %v", err)
		}
		p.Close()
	})
}

func TestBadCommands(t *testing.T) {
	run(t, nil, func(t *testing.T, a *AT) {
		if _, err := a.Command(context.Background(), "+CSQ\r+CFUN=0"); !errors.Is(err, ErrBadCmd) {
			t.Errorf("CR in command: %v", err)
		}
		if _, err := a.SMSCommand(context.Background(), "+CMGS=1", "00\x1a"); !errors.Is(err, ErrBadCmd) {
			t.Errorf("Ctrl-Z in PDU: %v", err)
		}
	})
}

func TestPlaybackIsStrict(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := attest.New(ex("AT+CSQ\r", "\r\nOK\r\n"), ex("AT\r", "\r\nOK\r\n"))
		a := New(p, Config{})
		if _, err := a.Command(context.Background(), "+CREG?"); err == nil {
			t.Error("unexpected command succeeded")
		}
		a.Close()
		if err := p.Close(); !errors.Is(err, attest.ErrMismatch) {
			t.Errorf("Close() = %v, want ErrMismatch", err)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		p := attest.New(ex("AT\r", "\r\nOK\r\n"))
		if err := p.Close(); err == nil {
			t.Error("Close with a step left succeeded")
		}
	})
}

func TestSplitEvents(t *testing.T) {
	evs, rest := splitEvents([]byte("\r\nOK\r\n\r\n> 0011\r\n+CMGS: 1\r\npartial"))
	want := []event{{line: "OK"}, {prompt: true}, {line: "0011"}, {line: "+CMGS: 1"}}
	if !reflect.DeepEqual(evs, want) || string(rest) != "partial" {
		t.Errorf("got %+v rest %q", evs, rest)
	}
}

func FuzzSplitEvents(f *testing.F) {
	f.Add([]byte("\r\nOK\r\n> \r\n+CMS ERROR: 500\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		evs, rest := splitEvents(b)
		for _, ev := range evs {
			if len(ev.line) > maxLine {
				t.Fatalf("line of %d bytes", len(ev.line))
			}
			finalResult(ev.line, true)
		}
		if len(rest) >= maxLine {
			t.Fatalf("rest of %d bytes", len(rest))
		}
	})
}
