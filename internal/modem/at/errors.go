package at

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Errors.
var (
	ErrError   = errors.New("at: ERROR")                     // final result ERROR (or NO CARRIER …)
	ErrTimeout = errors.New("at: no reply before timeout")   // the modem did not answer
	ErrClosed  = errors.New("at: engine closed")             // Close was called
	ErrPrompt  = errors.New("at: no prompt for the message") // SMS prompt never came
	ErrBadCmd  = errors.New("at: command contains CR, LF or control characters")
)

// CMEError is a +CME ERROR result (3GPP TS 27.007 §9.2).
type CMEError struct {
	Code int    // -1 when the modem sent a verbose text this package does not know
	Text string // the text after "+CME ERROR: " as sent
}

func (e *CMEError) Error() string { return "at: +CME ERROR: " + e.Text }

// CMSError is a +CMS ERROR result (3GPP TS 27.005 §3.2.5).
type CMSError struct {
	Code int    // -1 when the modem sent a verbose text this package does not know
	Text string // the text after "+CMS ERROR: " as sent
}

func (e *CMSError) Error() string { return "at: +CMS ERROR: " + e.Text }

// Verbose texts of 27.007 §9.2.1 (+CMEE=2).
var cmeTexts = [...]struct {
	code int
	text string
}{
	{0, "phone failure"}, {1, "no connection to phone"}, {3, "operation not allowed"},
	{4, "operation not supported"}, {10, "SIM not inserted"}, {11, "SIM PIN required"},
	{12, "SIM PUK required"}, {13, "SIM failure"}, {14, "SIM busy"}, {15, "SIM wrong"},
	{16, "incorrect password"}, {17, "SIM PIN2 required"}, {18, "SIM PUK2 required"},
	{20, "memory full"}, {21, "invalid index"}, {22, "not found"}, {23, "memory failure"},
	{30, "no network service"}, {31, "network timeout"}, {32, "network not allowed - emergency calls only"},
	{100, "unknown"},
}

// Verbose texts of 27.005 §3.2.5.
var cmsTexts = [...]struct {
	code int
	text string
}{
	{300, "ME failure"}, {301, "SMS service of ME reserved"}, {302, "operation not allowed"},
	{303, "operation not supported"}, {304, "invalid PDU mode parameter"},
	{305, "invalid text mode parameter"}, {310, "SIM not inserted"}, {311, "SIM PIN required"},
	{312, "PH-SIM PIN required"}, {313, "SIM failure"}, {314, "SIM busy"}, {315, "SIM wrong"},
	{316, "SIM PUK required"}, {317, "SIM PIN2 required"}, {318, "SIM PUK2 required"},
	{320, "memory failure"}, {321, "invalid memory index"}, {322, "memory full"},
	{330, "SMSC address unknown"}, {331, "no network service"}, {332, "network timeout"},
	{340, "no +CNMA acknowledgement expected"}, {500, "unknown error"},
}

// parseCode reads a numeric or verbose error.
func parseCode(text string, table []struct {
	code int
	text string
}) int {
	if n, err := strconv.Atoi(text); err == nil {
		return n
	}
	for _, e := range table {
		if strings.EqualFold(e.text, text) {
			return e.code
		}
	}
	return -1
}

// finalResult tells whether line is a final result code and, if so, the
// error it stands for (nil for OK). sms selects the meaning of a bare
// "ERROR: <n>".
func finalResult(line string, sms bool) (bool, error) {
	switch line {
	case "OK":
		return true, nil
	case "ERROR":
		return true, ErrError
	case "NO CARRIER", "BUSY", "NO ANSWER", "NO DIALTONE", "COMMAND NOT SUPPORT", "TOO MANY PARAMETERS":
		return true, fmt.Errorf("%w: %s", ErrError, line)
	}
	if t, ok := cutPrefixFold(line, "+CME ERROR:"); ok {
		return true, &CMEError{Code: parseCode(t, cmeTexts[:]), Text: t}
	}
	if t, ok := cutPrefixFold(line, "+CMS ERROR:"); ok {
		return true, &CMSError{Code: parseCode(t, cmsTexts[:]), Text: t}
	}
	if t, ok := cutPrefixFold(line, "ERROR:"); ok {
		if sms {
			return true, &CMSError{Code: parseCode(t, cmsTexts[:]), Text: t}
		}
		return true, &CMEError{Code: parseCode(t, cmeTexts[:]), Text: t}
	}
	return false, nil
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return "", false
	}
	return strings.TrimSpace(s[len(prefix):]), true
}
