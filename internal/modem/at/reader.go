package at

import (
	"bytes"
	"strings"
)

// maxLine caps a line; longer input is cut there (a PDU line is at most
// 2×176 hex digits).
const maxLine = 2048

// event is one thing read from the modem: a line or the SMS prompt.
type event struct {
	line   string
	prompt bool
}

// readLoop reads the port until it fails, turning bytes into events. It
// is the only reader of the port.
func (a *AT) readLoop() {
	defer close(a.events)
	var buf []byte
	chunk := make([]byte, 512)
	for {
		n, err := a.rw.Read(chunk)
		buf = append(buf, chunk[:n]...)
		var evs []event
		evs, buf = splitEvents(buf)
		for _, ev := range evs {
			select {
			case a.events <- ev:
			case <-a.closing:
				return
			}
		}
		if err != nil {
			a.readErr = err
			return
		}
	}
}

// splitEvents cuts complete lines, and a prompt that is not followed by a
// line end, from buf; it returns the rest.
func splitEvents(buf []byte) ([]event, []byte) {
	var evs []event
	for {
		buf = bytes.TrimLeft(buf, "\r\n\x00")
		if len(buf) == 0 {
			return evs, buf
		}
		i := bytes.IndexAny(buf, "\r\n")
		if i < 0 && buf[0] == '>' {
			evs = append(evs, event{prompt: true})
			buf = bytes.TrimLeft(buf[1:], " ")
			continue
		}
		if i < 0 && len(buf) < maxLine {
			return evs, buf
		}
		if i < 0 {
			i = len(buf)
		}
		evs = append(evs, lineEvents(string(buf[:min(i, maxLine)]))...)
		buf = buf[min(i+1, len(buf)):]
	}
}

// lineEvents classifies one complete line: ">" or "> " is the prompt;
// "> text" is the prompt followed by echo.
func lineEvents(line string) []event {
	line = strings.Trim(line, " \x00\x1a")
	if line == "" {
		return nil
	}
	if line[0] != '>' {
		return []event{{line: line}}
	}
	rest := strings.TrimLeft(line[1:], " \x1a")
	if rest == "" {
		return []event{{prompt: true}}
	}
	return []event{{prompt: true}, {line: rest}}
}
