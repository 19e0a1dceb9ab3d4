package modem

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/homemmsc/homemmsc/internal/modem/at"
	"github.com/homemmsc/homemmsc/internal/modem/at/attest"
	"github.com/homemmsc/homemmsc/internal/modem/sms"
)

func ex(write, reply string) attest.Step { return attest.Step{Write: write, Reply: reply} }

const ok = "\r\nOK\r\n"

func reply(lines ...string) string {
	s := ""
	for _, l := range lines {
		s += "\r\n" + l + "\r\n"
	}
	return s
}

// probeSteps is the part of start-up after PDU mode, with the given
// registration replies.
func probeSteps(creg, cgreg, cereg string) []attest.Step {
	return []attest.Step{
		ex("AT+CGMM\r", reply("E3372", "OK")),
		ex("AT+CSCA?\r", reply(`+CSCA: "+447785016005",145`, "OK")),
		ex("AT+CREG?\r", reply(creg, "OK")),
		ex("AT+CGREG?\r", reply(cgreg, "OK")),
		ex("AT+CEREG?\r", reply(cereg, "OK")),
		ex("AT+CSQ\r", reply("+CSQ: 18,99", "OK")),
		ex("AT+COPS?\r", reply(`+COPS: 0,0,"Vodafone UK",7`, "OK")),
	}
}

func startSteps(pinSteps ...attest.Step) []attest.Step {
	steps := []attest.Step{
		ex("AT\r", "AT\r"+ok), // echo still on
		ex("ATE0\r", "ATE0\r"+ok),
		ex("AT+CMEE=1\r", ok),
	}
	if pinSteps == nil {
		pinSteps = []attest.Step{ex("AT+CPIN?\r", reply("+CPIN: READY", "OK"))}
	}
	steps = append(steps, pinSteps...)
	steps = append(steps, ex("AT+CMGF=0\r", ok))
	return append(steps, probeSteps("+CREG: 0,1", "+CGREG: 0,1", "+CEREG: 0,1")...)
}

// session runs fn on a session started on a playback, in a synctest
// bubble, and checks the script was used up.
func session(t *testing.T, cfg Config, steps []attest.Step, wantErr error, fn func(t *testing.T, s *Session)) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		p := attest.New(steps...)
		s, err := Start(context.Background(), p, cfg)
		if !errors.Is(err, wantErr) {
			t.Fatalf("Start: %v, want %v", err, wantErr)
		}
		if s != nil {
			if fn != nil {
				fn(t, s)
			}
			s.Close()
		}
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
}

func TestStartUp(t *testing.T) {
	session(t, Config{}, startSteps(), nil, func(t *testing.T, s *Session) {
		st := s.Status()
		want := Status{Present: true, Model: "E3372", Registered: true, Reg: "home network",
			Operator: "Vodafone UK", Signal: 18, SMSC: "+447785016005"}
		if st != want {
			t.Errorf("status %+v\nwant %+v", st, want)
		}
	})
}

func TestStartUpRetriesAT(t *testing.T) {
	steps := append([]attest.Step{ex("AT\r", "")}, startSteps()...) // first AT unanswered
	session(t, Config{}, steps, nil, nil)
}

func TestStartUpNoAnswer(t *testing.T) {
	session(t, Config{ATRetries: 2}, []attest.Step{ex("AT\r", ""), ex("AT\r", "")}, ErrNotResponding, nil)
}

func TestPINRequiredThenSIMBusy(t *testing.T) {
	session(t, Config{PIN: "1234"}, startSteps(
		ex("AT+CPIN?\r", reply("+CPIN: SIM PIN", "OK")),
		ex("AT+CPIN=\"1234\"\r", ok),
		ex("AT+CPIN?\r", reply("+CME ERROR: 14")),
		ex("AT+CPIN?\r", reply("+CME ERROR: SIM busy")), // verbose, as after +CMEE=2
		ex("AT+CPIN?\r", reply("+CPIN: READY", "OK")),
	), nil, nil)
}

func TestPINRequiredNoneConfigured(t *testing.T) {
	session(t, Config{}, startSteps(ex("AT+CPIN?\r", reply("+CPIN: SIM PIN", "OK")))[:4], ErrPINRequired, nil)
}

// A wrong PIN is entered once and never again: the script has no second
// AT+CPIN=.
func TestWrongPINNotRetried(t *testing.T) {
	steps := startSteps(
		ex("AT+CPIN?\r", reply("+CPIN: SIM PIN", "OK")),
		ex("AT+CPIN=\"0000\"\r", reply("+CME ERROR: incorrect password")),
	)
	session(t, Config{PIN: "0000"}, steps[:5], ErrPINRejected, nil)
	if Temporary(ErrPINRejected) {
		t.Error("a rejected PIN counts as temporary")
	}
}

func TestPUK(t *testing.T) {
	session(t, Config{PIN: "1234"}, startSteps(ex("AT+CPIN?\r", reply("+CPIN: SIM PUK", "OK")))[:4], ErrPUKRequired, nil)
}

func TestSIMBusyTooLong(t *testing.T) {
	steps := startSteps()[:3]
	for range 5 {
		steps = append(steps, ex("AT+CPIN?\r", reply("+CME ERROR: 14")))
	}
	session(t, Config{SIMBusyWait: 5 * time.Second}, steps, ErrSIMBusy, nil)
}

// LTE-only sticks: +CREG says not registered, +CEREG says home.
func TestLTEOnlyRegistration(t *testing.T) {
	steps := startSteps()[:5]
	steps = append(steps, probeSteps("+CREG: 0,0", "+CGREG: 0,4", "+CEREG: 0,1")...)
	session(t, Config{}, steps, nil, func(t *testing.T, s *Session) {
		if st := s.Status(); !st.Registered || st.Reg != "home network" {
			t.Errorf("status %+v, want registered", st)
		}
	})
}

// Probes that fail do not stop the start-up (warthog618/modem#18).
func TestFailedProbesAreNotFatal(t *testing.T) {
	steps := startSteps()[:5]
	steps = append(steps,
		ex("AT+CGMM\r", reply("+CME ERROR: 58")),
		ex("AT+CSCA?\r", reply("ERROR")),
		ex("AT+CREG?\r", reply("+CREG: 2,5,\"2AF5\",\"0B88E350\",2", "OK")),
		ex("AT+CGREG?\r", reply("COMMAND NOT SUPPORT")),
		ex("AT+CEREG?\r", reply("ERROR")),
		ex("AT+CSQ\r", reply("+CSQ: 99,99", "OK")),
		ex("AT+COPS?\r", reply("+CME ERROR: 3")),
	)
	session(t, Config{}, steps, nil, func(t *testing.T, s *Session) {
		if st := s.Status(); !st.Registered || st.Reg != "roaming" || st.Signal != -1 {
			t.Errorf("status %+v", st)
		}
	})
}

func TestSendPDU(t *testing.T) {
	pdus, err := sms.Encode(sms.Message{To: "+15557654321", Text: "hellohello"})
	if err != nil {
		t.Fatal(err)
	}
	p := pdus[0]
	cmgs := "AT+CMGS=22\r"
	steps := append(startSteps(),
		ex(cmgs, "\r\n>\r\n"), // SIMCom prompt
		ex(p.Hex()+"\x1a", "\r\n^RSSI:12\r\n"+reply("+CMS ERROR: 500")),
		ex(cmgs, "\r\n> "),
		ex(p.Hex()+"\x1a", reply("+CMGS: 77", "OK")),
		ex("", reply("+CREG: 2", "+CGREG: 2", "+CEREG: 2")), // network lost
		ex("AT+CREG?\r", reply("+CREG: 0,2", "OK")),
		ex("AT+CGREG?\r", reply("+CGREG: 0,2", "OK")),
		ex("AT+CEREG?\r", reply("+CEREG: 0,2", "OK")),
		ex("AT+CSQ\r", reply("+CSQ: 3,99", "OK")),
		ex("AT+COPS?\r", reply("+COPS: 0", "OK")),
	)
	session(t, Config{}, steps, nil, func(t *testing.T, s *Session) {
		_, err := s.SendPDU(context.Background(), p)
		var cms *at.CMSError
		if !errors.As(err, &cms) || cms.Code != 500 || !Temporary(err) {
			t.Fatalf("first send: %v, want temporary +CMS ERROR: 500", err)
		}
		if st := s.Status(); st.Signal != 12 || st.LastError == "" {
			t.Errorf("status after ^RSSI and error: %+v", st)
		}
		mr, err := s.SendPDU(context.Background(), p)
		if err != nil || mr != 77 {
			t.Fatalf("second send: %d, %v", mr, err)
		}
		synctest.Wait()
		if _, err := s.SendPDU(context.Background(), p); !errors.Is(err, ErrNotRegistered) || !Temporary(err) {
			t.Errorf("send while searching: %v, want ErrNotRegistered", err)
		}
	})
}

func TestTemporary(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&at.CMSError{Code: 500}, true}, {&at.CMSError{Code: 38}, true}, {&at.CMSError{Code: 41}, true},
		{&at.CMSError{Code: 42}, true}, {&at.CMSError{Code: 47}, true}, {&at.CMSError{Code: 314}, true},
		{&at.CMSError{Code: 331}, true}, {&at.CMSError{Code: 332}, true},
		{&at.CMSError{Code: 304}, false}, {&at.CMSError{Code: 21}, false}, {&at.CMSError{Code: 330}, false},
		{&at.CMSError{Code: 8}, false}, {&at.CMEError{Code: 14}, true}, {&at.CMEError{Code: 16}, false},
		{at.ErrTimeout, true}, {ErrNotRegistered, true}, {ErrAbsent, true},
		{sms.ErrBadNumber, false}, {ErrPINRejected, false},
	}
	for _, tt := range tests {
		if got := Temporary(tt.err); got != tt.want {
			t.Errorf("Temporary(%v) = %v", tt.err, got)
		}
	}
}
