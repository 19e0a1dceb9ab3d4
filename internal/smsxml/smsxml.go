package smsxml

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/store"
)

// Android's values for the columns the export fills (see doc.go).
const (
	boxInbox       = "1"
	typeRetrieve   = "132"
	addrFrom       = "137"
	addrTo         = "151"
	addrCc         = "130"
	charsetUTF8    = "106"
	multipartRelat = "application/vnd.wap.multipart.related"
	null           = "null"
)

// Writer writes one backup file: NewWriter the header, Message each
// message, Close the end. It buffers; Close flushes.
type Writer struct {
	w     *bufio.Writer
	names func(number string) string
	err   error
}

// NewWriter starts a backup of count messages made at date. names, if
// not nil, gives the contact name of a number (the paired phone's name);
// the file then carries it as contact_name.
func NewWriter(w io.Writer, count int, date time.Time, names func(number string) string) *Writer {
	x := &Writer{w: bufio.NewWriterSize(w, 64<<10), names: names}
	x.str("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<smses")
	x.attr("count", strconv.Itoa(count))
	x.attr("backup_set", backupSet())
	x.attr("backup_date", strconv.FormatInt(date.UnixMilli(), 10))
	x.attr("type", "full")
	x.str(">\n")
	return x
}

// backupSet is the random id the app gives each backup run.
func backupSet() string {
	b := make([]byte, 16)
	rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Close ends the file and flushes it.
func (x *Writer) Close() error {
	x.str("</smses>\n")
	if x.err == nil {
		x.err = x.w.Flush()
	}
	return x.err
}

// Message writes one stored message; msg is its decoded PDU.
func (x *Writer) Message(m store.Meta, msg *mms.Message) error {
	from := sender(m, msg)
	x.str("  <mms")
	x.mmsAttrs(m, msg, from)
	x.str(">\n    <parts>\n")
	seq := 0
	for _, p := range mms.Leaves(msg.Parts) {
		x.part(p, &seq)
	}
	x.str("    </parts>\n    <addrs>\n")
	x.addr(from, addrFrom)
	for _, a := range msg.To {
		x.addr(number(a), addrTo)
	}
	for _, a := range msg.Cc {
		x.addr(number(a), addrCc)
	}
	x.str("    </addrs>\n  </mms>\n")
	return x.err
}

func (x *Writer) mmsAttrs(m store.Meta, msg *mms.Message, from string) {
	x.attr("date", strconv.FormatInt(m.Received.UnixMilli(), 10))
	x.attr("date_sent", dateSent(msg.Date))
	x.attr("msg_box", boxInbox)
	x.attr("m_type", typeRetrieve)
	x.attr("address", conversation(from, msg))
	x.attr("ct_t", orNull(msg.ContentType.MediaType, multipartRelat))
	x.attr("m_id", m.ID)
	x.attr("tr_id", orNull(m.TransactionID, ""))
	x.attr("m_size", strconv.FormatInt(m.Size, 10))
	x.attr("sub", orNull(msg.Subject.Text(), ""))
	x.attr("sub_cs", ifElse(len(msg.Subject.Raw) > 0, charsetUTF8, null))
	x.attr("m_cls", orNull(msg.MessageClass, "personal"))
	x.attr("v", strconv.Itoa(int(mms.ReplyVersion(msg.Version))))
	x.attr("pri", code(msg.Priority, 0x81))
	x.attr("rr", code(msg.ReadReport, 0x81))
	x.attr("d_rpt", code(msg.DeliveryReport, 0x81))
	read := ifElse(m.Seen, "1", "0")
	x.attr("read", read)
	x.attr("seen", read)
	x.attr("text_only", ifElse(textOnly(msg.Parts), "1", "0"))
	x.attr("locked", "0")
	for _, k := range []string{"read_status", "ct_l", "exp", "d_tm", "st", "ct_cls", "rpt_a",
		"resp_st", "resp_txt", "retr_st", "retr_txt", "retr_txt_cs"} {
		x.attr(k, null)
	}
	x.attr("readable_date", m.Received.Local().Format("Jan 2, 2006 3:04:05 PM"))
	x.attr("contact_name", x.contact(m, from))
}

// contact is the sender's name: the paired phone's now, else the one the
// MMSC recorded when the message came.
func (x *Writer) contact(m store.Meta, number string) string {
	if x.names != nil {
		if n := x.names(number); n != "" {
			return n
		}
	}
	if m.Sender.Name != "" {
		return m.Sender.Name
	}
	return "(Unknown)" // what the app writes for a number without a contact
}

// part writes one leaf part; seq counts the non-SMIL parts.
func (x *Writer) part(p *mms.Part, seq *int) {
	ct := p.ContentType.MediaType
	x.str("      <part")
	if ct == "application/smil" {
		x.attr("seq", "-1")
	} else {
		x.attr("seq", strconv.Itoa(*seq))
		*seq++
	}
	x.attr("ct", orNull(ct, "application/octet-stream"))
	x.attr("name", orNull(paramOf(p.ContentType, "name"), ""))
	asText := ct == "text/plain" || ct == "application/smil"
	x.attr("chset", ifElse(asText, charsetUTF8, null))
	x.attr("cd", orNull(p.ContentDisposition, ""))
	x.attr("fn", orNull(paramOf(mms.ContentType{Params: p.DispositionParams}, "filename"), ""))
	x.attr("cid", orNull(p.ContentID, ""))
	x.attr("cl", orNull(p.ContentLocation, ""))
	x.attr("ctt_s", null)
	x.attr("ctt_t", null)
	if asText {
		x.attr("text", p.Text())
	} else {
		x.attr("text", null)
		x.data(p.Data)
	}
	x.str(" />\n")
}

// data writes the data attribute, base64 streamed into the buffer.
func (x *Writer) data(b []byte) {
	x.str(` data="`)
	if x.err == nil {
		enc := base64.NewEncoder(base64.StdEncoding, x.w)
		_, x.err = enc.Write(b)
		if err := enc.Close(); x.err == nil {
			x.err = err
		}
	}
	x.str(`"`)
}

func (x *Writer) addr(number, typ string) {
	x.str("      <addr")
	x.attr("address", number)
	x.attr("type", typ)
	x.attr("charset", charsetUTF8)
	x.str(" />\n")
}

// attr writes ` name="value"`, the value escaped for an attribute
// (xml.EscapeText also escapes quotes and line ends, and replaces
// characters XML cannot hold).
func (x *Writer) attr(name, value string) {
	x.str(" " + name + `="`)
	if x.err == nil {
		x.err = xml.EscapeText(x.w, []byte(value))
	}
	x.str(`"`)
}

func (x *Writer) str(s string) {
	if x.err == nil {
		_, x.err = x.w.WriteString(s)
	}
}

// sender is the number the message came from: the one the MMSC
// identified, else the PDU's From.
func sender(m store.Meta, msg *mms.Message) string {
	if m.Sender.Number != "" {
		return m.Sender.Number
	}
	if n := number(msg.From); n != "" {
		return n
	}
	return "unknown"
}

// number is a PLMN address's number, else the address as sent without
// its /TYPE= suffix (an e-mail address stays whole).
func number(a mms.Address) string {
	if n, ok := a.Number(); ok {
		return n
	}
	s := a.String()
	if i := strings.LastIndex(s, "/TYPE="); i >= 0 {
		s = s[:i]
	}
	return s
}

// conversation is the address attribute: the sender, then for a group
// message every other recipient, joined by "~".
func conversation(from string, msg *mms.Message) string {
	all := []string{from}
	if len(msg.To)+len(msg.Cc) > 1 {
		for _, a := range append(append([]mms.Address{}, msg.To...), msg.Cc...) {
			if n := number(a); n != from {
				all = append(all, n)
			}
		}
	}
	return strings.Join(all, "~")
}

func textOnly(parts []mms.Part) bool {
	for _, p := range mms.Leaves(parts) {
		if ct := p.ContentType.MediaType; ct != "text/plain" && ct != "application/smil" {
			return false
		}
	}
	return true
}

func dateSent(t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	return strconv.FormatInt(t.Unix(), 10)
}

// code is a one-octet header's value as the provider stores it (the
// octet as a number), def when the header was absent.
func code(v, def byte) string {
	if v == 0 {
		v = def
	}
	return strconv.Itoa(int(v))
}

func paramOf(ct mms.ContentType, name string) string {
	v, _ := ct.Param(name)
	return v
}

// orNull returns s, else def, else "null".
func orNull(s, def string) string {
	if s != "" {
		return s
	}
	if def != "" {
		return def
	}
	return null
}

func ifElse(c bool, a, b string) string {
	if c {
		return a
	}
	return b
}

// Options selects and names what Export writes.
type Options struct {
	// From and To bound the time received: From <= received < To. A zero
	// bound is open.
	From, To time.Time
	// Names gives a number's contact name (the paired phone's); may be nil.
	Names func(number string) string
	// Before, if set, runs before each message is written, for example to
	// give a slow client a fresh write deadline; an error stops the export.
	Before func() error
	Now    func() time.Time // the backup's date; if nil, time.Now
}

// Result says what Export wrote.
type Result struct {
	Messages int      // written
	Skipped  []string // ids whose PDU could not be read or decoded
}

// Export writes every stored message that opt selects, oldest first, as
// one backup file. A message deleted while the export runs is left out; one
// whose PDU cannot be read or decoded (damage on the card) is left out and
// named in Result.Skipped, so one bad file does not stop the rest. An
// error is the writer's (or Before's): the file is then cut short.
func Export(w io.Writer, st *store.Store, opt Options) (Result, error) {
	ids := st.IDs(store.Query{Match: func(s store.Summary) bool {
		return (opt.From.IsZero() || !s.Received.Before(opt.From)) && (opt.To.IsZero() || s.Received.Before(opt.To))
	}})
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	x := NewWriter(w, len(ids), now(), opt.Names)
	var res Result
	for i := len(ids) - 1; i >= 0; i-- { // IDs are newest first
		if opt.Before != nil {
			if err := opt.Before(); err != nil {
				return res, err
			}
		}
		if err := export(x, st, ids[i], &res); err != nil {
			return res, err
		}
	}
	return res, x.Close()
}

// export writes one message and counts it in res.
func export(x *Writer, st *store.Store, id string, res *Result) error {
	m, ok := st.Get(id)
	if !ok {
		return nil // deleted meanwhile
	}
	msg, err := readPDU(st, m)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		res.Skipped = append(res.Skipped, id)
		return nil
	}
	res.Messages++
	return x.Message(m, msg)
}

// readPDU reads and decodes a message's PDU; the decoded parts alias
// the bytes read, so the message is in memory once.
func readPDU(st *store.Store, m store.Meta) (*mms.Message, error) {
	f, err := st.OpenPDU(m.ID)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if m.Size <= 0 || m.Size > store.MaxPDUSize {
		return nil, fmt.Errorf("smsxml: %s: PDU size %d out of range", m.ID, m.Size)
	}
	pdu := make([]byte, m.Size)
	if _, err := io.ReadFull(f, pdu); err != nil {
		return nil, fmt.Errorf("smsxml: read %s: %w", m.ID, err)
	}
	msg, err := mms.Decode(pdu)
	if err != nil {
		return nil, fmt.Errorf("smsxml: decode %s: %w", m.ID, err)
	}
	return msg, nil
}
