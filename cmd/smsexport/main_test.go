package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/store"
)

func putOne(t *testing.T, st *store.Store) store.Meta {
	t.Helper()
	msg := &mms.Message{Type: mms.TypeSendReq, TransactionID: "T1", Version: mms.Version12,
		From: mms.Address{Insert: true}, To: []mms.Address{mms.PLMN("+15550002222")},
		ContentType: mms.ContentType{MediaType: "application/vnd.wap.multipart.related"},
		Parts:       []mms.Part{{ContentType: mms.ContentType{MediaType: "text/plain"}, Data: []byte("hello")}}}
	pdu, err := msg.Encode()
	if err != nil {
		t.Fatal(err)
	}
	m, err := st.Put(store.Incoming{PDU: pdu, Msg: msg, Sender: store.Sender{Number: "+15550001111", Source: "token"}})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestExportFile writes the store's messages to -o and names the
// message count on stderr; with the store open elsewhere (the service
// running) it says to use the inbox instead.
func TestExportFile(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(store.Config{Dir: dir, MinFree: -1})
	if err != nil {
		t.Fatal(err)
	}
	m := putOne(t, st)
	out := filepath.Join(t.TempDir(), "sms.xml")
	err = run([]string{"-data", dir, "-o", out}, nil, new(bytes.Buffer))
	if !errors.Is(err, store.ErrLocked) || !strings.Contains(err.Error(), "/backup.xml") {
		t.Fatalf("with the store open: %v", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatal("a file was left behind")
	}
	st.Close()

	var stderr bytes.Buffer
	if err := run([]string{"-data", dir, "-o", out, "-from", "2000-01-01"}, nil, &stderr); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Count int `xml:"count,attr"`
		MMS   []struct {
			ID string `xml:"m_id,attr"`
		} `xml:"mms"`
	}
	if err := xml.Unmarshal(b, &f); err != nil || f.Count != 1 || len(f.MMS) != 1 || f.MMS[0].ID != m.ID {
		t.Fatalf("file: %v %+v", err, f)
	}
	if !strings.Contains(stderr.String(), "1 messages") {
		t.Errorf("stderr: %q", stderr.String())
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".smsexport-*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestExportStdoutRange writes to standard output; a range that holds
// nothing gives an empty backup.
func TestExportStdoutRange(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(store.Config{Dir: dir, MinFree: -1})
	if err != nil {
		t.Fatal(err)
	}
	putOne(t, st)
	st.Close()
	var stdout bytes.Buffer
	if err := run([]string{"-data", dir, "-to", "2000-01-01"}, &stdout, new(bytes.Buffer)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), `<smses count="0"`) || strings.Contains(stdout.String(), "<mms") {
		t.Errorf("stdout: %s", stdout.String())
	}
	if err := run([]string{"-data", dir, "-from", "01/02/2026"}, &stdout, new(bytes.Buffer)); err == nil {
		t.Error("a bad -from was accepted")
	}
}
