package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/testcorpus"
)

func corpusDir(t testing.TB) string { return testcorpus.Dir(t, "mms") }

// TestPartFromRealPDUs stores real multipart M-Send.req and
// M-Retrieve.conf PDUs and reads every part back from the stored PDU.
func TestPartFromRealPDUs(t *testing.T) {
	dir := corpusDir(t)
	files := []struct {
		name  string
		files []string // the generated part file names
	}{
		{"python-messaging__iPhone.mms", []string{"part-01.smil", "part-02.jpg"}},
		{"python-messaging__27d0a048cd79555de05283a22372b0eb.mms", nil},
		{"mms-engine__test_retrieve_data_Success1_m-retrieve.conf", []string{"part-01.smil", "part-02.txt", "part-03.jpg", "part-04.txt", "part-05.jpg"}},
		{"mms-engine__test_retrieve_data_Base64_m-retrieve.conf", nil},
		{"gammu__HelloWorld.mms", nil},
	}
	s := openStore(t, testConfig(t))
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			pdu, err := os.ReadFile(filepath.Join(dir, f.name))
			if err != nil {
				t.Fatal(err)
			}
			msg, err := mms.Decode(pdu)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if len(msg.Parts) < 2 {
				t.Fatalf("%d parts; the test wants a multipart message", len(msg.Parts))
			}
			meta, err := s.Put(Incoming{PDU: pdu, Msg: msg, Sender: Sender{Source: "none"}})
			if err != nil {
				t.Fatal(err)
			}
			for i, want := range msg.Parts {
				data, pm, err := s.Part(meta.ID, i)
				if err != nil {
					t.Fatalf("Part %d: %v", i, err)
				}
				if !bytes.Equal(data, want.Data) {
					t.Errorf("part %d: %d bytes differ from the decoded %d", i, len(data), len(want.Data))
				}
				if pm.Index != i || pm.Size != int64(len(want.Data)) || pm.ContentType != want.ContentType.MediaType {
					t.Errorf("part %d meta = %+v", i, pm)
				}
				if f.files != nil && pm.File != f.files[i] {
					t.Errorf("part %d file name %q, want %q", i, pm.File, f.files[i])
				}
				t.Logf("part %d: %s %q %d bytes as %s", i, pm.ContentType, pm.Name, pm.Size, pm.File)
			}
			if _, _, err := s.Part(meta.ID, len(msg.Parts)); !errors.Is(err, ErrNoPart) {
				t.Errorf("Part past the end = %v, want ErrNoPart", err)
			}
			if _, _, err := s.Part(meta.ID, -1); !errors.Is(err, ErrNoPart) {
				t.Errorf("Part(-1) = %v, want ErrNoPart", err)
			}
		})
	}
}

// TestPartAfterReopenAndTamper reads parts through a fresh index and
// refuses a PDU whose size changed on disk.
func TestPartAfterReopenAndTamper(t *testing.T) {
	cfg := testConfig(t)
	s := openStore(t, cfg)
	in := encoded(t, "p", 30<<10)
	meta, err := s.Put(in)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openStore(t, cfg)
	data, pm, err := s.Part(meta.ID, 2)
	if err != nil || !bytes.Equal(data, in.Msg.Parts[2].Data) || pm.File != "part-03.jpg" {
		t.Fatalf("Part after reopen: %v, %+v, %d bytes", err, pm, len(data))
	}
	info, err := os.Stat(s.logPath())
	must(t, err)
	must(t, os.Truncate(s.logPath(), info.Size()-10)) // behind the store's back
	if _, _, err := s.Part(meta.ID, 0); err == nil {
		t.Fatal("Part read a PDU cut short on disk")
	}
}
