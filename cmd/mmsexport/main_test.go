package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/store"
)

// TestExport writes a stored message to a folder: its PDU byte for
// byte, its metadata and its text part as plain files; with the store
// open elsewhere (the service running) it says to use the inbox.
func TestExport(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(store.Config{Dir: dir, MinFree: -1})
	if err != nil {
		t.Fatal(err)
	}
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
	out := filepath.Join(t.TempDir(), "mms")
	if err := run([]string{"-data", dir, "-o", out}, new(bytes.Buffer)); !errors.Is(err, store.ErrLocked) || !strings.Contains(err.Error(), "inbox") {
		t.Fatalf("with the store open: %v", err)
	}
	st.Close()

	var stderr bytes.Buffer
	if err := run([]string{"-data", dir, "-o", out}, &stderr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "1 messages written") {
		t.Errorf("stderr %q", stderr.String())
	}
	got, err := os.ReadFile(filepath.Join(out, m.ID, "message.mms"))
	if err != nil || !bytes.Equal(got, pdu) {
		t.Fatalf("message.mms: %d bytes, %v; want the %d bytes stored", len(got), err, len(pdu))
	}
	for _, name := range []string{"README.txt", m.ID + "/meta.json"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Error(err)
		}
	}
	ents, err := os.ReadDir(filepath.Join(out, m.ID))
	if err != nil {
		t.Fatal(err)
	}
	text := false
	for _, e := range ents {
		if b, _ := os.ReadFile(filepath.Join(out, m.ID, e.Name())); strings.HasSuffix(e.Name(), ".txt") && string(b) == "hello" {
			text = true
		}
	}
	if !text {
		t.Errorf("no text part holding \"hello\" among %v", ents)
	}
	if err := run([]string{"-data", dir}, new(bytes.Buffer)); err == nil {
		t.Error("no -o: no error")
	}
}
