package mmsdtest

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/godbus/dbus/v5"
)

// Attachment is one part of a message, as mmsd-tng's SendMessage takes it
// (a file) and as its MessageAdded signal gives it back (a span of the
// stored PDU).
type Attachment struct {
	ID          string // Content-ID
	ContentType string
	Data        []byte
}

// Message is a message as mmsd-tng exports it on D-Bus.
type Message struct {
	Path        dbus.ObjectPath
	Status      string // "received", "sent", "draft", …
	Sender      string
	Recipients  []string
	Subject     string
	Smil        string
	Attachments []Attachment
}

// Send asks mmsd-tng to send an MMS, as Chatty does: recipients, an
// options dictionary (Subject and smil, when not empty; no delivery
// report), and each attachment as a file. It returns the new message's
// path.
func (p *Phone) Send(to []string, subject, smil string, atts []Attachment) (dbus.ObjectPath, error) {
	type att struct{ ID, ContentType, File string }
	var files []att
	p.sends++
	for i, a := range atts {
		f := filepath.Join(p.home, fmt.Sprintf("send-%d-attachment-%d", p.sends, i))
		if err := os.WriteFile(f, a.Data, 0o600); err != nil {
			return "", err
		}
		files = append(files, att{a.ID, a.ContentType, f})
	}
	opts := map[string]dbus.Variant{"DeliveryReport": dbus.MakeVariant(false)}
	if subject != "" {
		opts["Subject"] = dbus.MakeVariant(subject)
	}
	if smil != "" {
		opts["smil"] = dbus.MakeVariant(smil)
	}
	var path dbus.ObjectPath
	err := p.conn.Object(mmsName, servicePath).Call(ifService+".SendMessage", 0,
		to, dbus.MakeVariant(opts), files).Store(&path)
	if err != nil {
		return "", fmt.Errorf("mmsdtest: SendMessage: %w", err)
	}
	return path, nil
}

// WaitStatus waits until the message at path has the status, as told by
// its PropertyChanged signal ("sent" once the MMSC answered Ok).
func (p *Phone) WaitStatus(path dbus.ObjectPath, status string) error {
	_, err := p.waitSignal(fmt.Sprintf("status %q of %s", status, path), func(s *dbus.Signal) bool {
		return isStatus(s, path, status)
	}, true)
	return err
}

// WaitReceived waits for the next message mmsd-tng exports with Status
// "received" and reads its attachments from the stored PDU.
func (p *Phone) WaitReceived() (*Message, error) {
	s, err := p.waitSignal("a received message", func(s *dbus.Signal) bool {
		if s.Name != ifService+".MessageAdded" || len(s.Body) != 2 {
			return false
		}
		props, _ := s.Body[1].(map[string]dbus.Variant)
		return props["Status"].Value() == "received"
	}, true)
	if err != nil {
		return nil, err
	}
	return message(s.Body[0].(dbus.ObjectPath), s.Body[1].(map[string]dbus.Variant))
}

// message reads the properties of a MessageAdded signal.
func message(path dbus.ObjectPath, props map[string]dbus.Variant) (*Message, error) {
	m := &Message{Path: path}
	str := func(k string) string { s, _ := props[k].Value().(string); return s }
	m.Status, m.Sender, m.Subject, m.Smil = str("Status"), str("Sender"), str("Subject"), str("Smil")
	m.Recipients, _ = props["Recipients"].Value().([]string)
	var atts [][]any
	if err := dbus.Store([]any{props["Attachments"].Value()}, &atts); err != nil {
		return nil, fmt.Errorf("mmsdtest: Attachments of %s: %w", path, err)
	}
	for _, a := range atts {
		id, _ := a[0].(string)
		ct, _ := a[1].(string)
		file, _ := a[2].(string)
		off, _ := a[3].(uint64)
		n, _ := a[4].(uint64)
		data, err := readSpan(file, off, n)
		if err != nil {
			return nil, err
		}
		m.Attachments = append(m.Attachments, Attachment{ID: id, ContentType: ct, Data: data})
	}
	return m, nil
}

// readSpan reads n bytes at off of the file mmsd-tng stored a PDU in.
func readSpan(file string, off, n uint64) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, n)
	if _, err := f.ReadAt(b, int64(off)); err != nil {
		return nil, fmt.Errorf("mmsdtest: attachment at %d+%d of %s: %w", off, n, file, err)
	}
	return b, nil
}

// WaitSendError waits until mmsd-tng gives up sending the message at
// path and says so with MessageSendError, as it does for an HTTP error or
// an M-Send.conf error it knows; a "sent" status ends the wait with an
// error.
func (p *Phone) WaitSendError(path dbus.ObjectPath) error {
	s, err := p.waitSignal("a send error for "+string(path), func(s *dbus.Signal) bool {
		return s.Name == ifService+".MessageSendError" || isStatus(s, path, "sent")
	}, false)
	if err != nil {
		return err
	}
	if s.Name != ifService+".MessageSendError" {
		return fmt.Errorf("mmsdtest: %s was marked sent, want a send error", path)
	}
	if props, _ := s.Body[0].(map[string]dbus.Variant); len(s.Body) != 1 || props["MessagePath"].Value() != string(path) {
		return fmt.Errorf("mmsdtest: MessageSendError %v, want one for %s", s.Body, path)
	}
	return nil
}

// isStatus reports whether a signal says the message at path has status.
func isStatus(s *dbus.Signal, path dbus.ObjectPath, status string) bool {
	if s.Path != path || s.Name != ifMessage+".PropertyChanged" || len(s.Body) != 2 {
		return false
	}
	v, _ := s.Body[1].(dbus.Variant)
	return s.Body[0] == "status" && v.Value() == status
}

// waitSignal waits for a signal of mmsd-tng's that match accepts, among
// all it sent so far and those to come. With failOnErrors, a
// MessageSendError or MessageReceiveError ends the wait with an error.
func (p *Phone) waitSignal(what string, match func(*dbus.Signal) bool, failOnErrors bool) (*dbus.Signal, error) {
	guard := time.After(60 * time.Second) // only a guard against a hang
	for i := 0; ; {
		p.mu.Lock()
		seen, changed := p.seen[i:], p.changed
		p.mu.Unlock()
		for _, s := range seen {
			i++
			if failOnErrors && (s.Name == ifService+".MessageSendError" || s.Name == ifService+".MessageReceiveError") {
				return nil, fmt.Errorf("mmsdtest: waiting for %s: mmsd-tng signalled %s %v", what, s.Name, s.Body)
			}
			if match(s) {
				return s, nil
			}
		}
		select {
		case <-p.exited:
			return nil, fmt.Errorf("mmsdtest: waiting for %s: mmsdtng exited: %v", what, p.cmd.ProcessState)
		case <-guard:
			return nil, fmt.Errorf("mmsdtest: no %s after 60 s", what)
		case <-changed:
		}
	}
}
