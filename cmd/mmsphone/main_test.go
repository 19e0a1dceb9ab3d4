package main

import (
	"bytes"
	"image"
	"image/jpeg"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/mmsc"
	"github.com/homemmsc/homemmsc/internal/phones"
	"github.com/homemmsc/homemmsc/internal/store"
)

// testJPEG writes a small real JPEG and returns its path and bytes.
func testJPEG(t *testing.T) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 16, 16)), nil); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cat & dog.jpg")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, b.Bytes()
}

// What mmsphone composes decodes as a phone's M-Send.req: insert-address
// From, the recipients, SMIL first and naming the picture, text, picture.
func TestCompose(t *testing.T) {
	path, jpg := testJPEG(t)
	m, err := compose(options{to: "+15551230000, +15551230001", text: "Grüße", image: path, subject: "hi"}, time.Unix(1_800_000_000, 0))
	if err != nil {
		t.Fatal(err)
	}
	pdu, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := mms.Decode(pdu)
	if err != nil {
		t.Fatal(err)
	}
	if got.Type != mms.TypeSendReq || !got.From.Insert || len(got.To) != 2 || got.To[1].String() != "+15551230001/TYPE=PLMN" ||
		got.Subject.String() != "hi" || got.Version != mms.Version12 {
		t.Errorf("headers: %v from %+v to %v subject %q", got.Type, got.From, got.To, got.Subject.String())
	}
	if len(got.Parts) != 3 || got.Parts[0].ContentType.MediaType != "application/smil" ||
		!bytes.Contains(got.Parts[0].Data, []byte(`<img src="cat &amp; dog.jpg"`)) ||
		string(got.Parts[1].Data) != "Grüße" || !bytes.Equal(got.Parts[2].Data, jpg) || got.Parts[2].ContentType.MediaType != "image/jpeg" {
		t.Fatalf("parts %+v", got.Parts)
	}
	for _, bad := range []options{{to: "12"}, {to: "+15551230000", from: "x"}, {to: "+15551230000", image: "main.go"}} {
		if _, err := compose(bad, time.Now()); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

// Against the real MMSC handler and store (what make run serves): Ok with
// the Message-ID the store gave; a mistyped token is refused in words.
func TestAgainstMMSC(t *testing.T) {
	st, err := store.Open(store.Config{Dir: t.TempDir(), MinFree: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	reg, err := phones.Open("", []phones.Phone{{Name: "Anna", Number: "+15557654321", Token: "mmsphoneToken-0123456789"}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(mmsc.NewHandler(mmsc.Config{Store: st, Phones: reg}))
	defer srv.Close()
	path, _ := testJPEG(t)

	out, code := runOut(t, "-to", "+15551230000", "-image", path, srv.URL+"/mms/mmsphoneToken-0123456789")
	list, _ := st.Query(store.Query{})
	if code != 0 || len(list) != 1 || !strings.Contains(out, "Ok: the MMSC took the message; Message-ID "+list[0].ID) {
		t.Fatalf("exit %d, %d stored, output:\n%s", code, len(list), out)
	}
	if strings.Contains(out, "0123456789") {
		t.Errorf("the token is printed:\n%s", out)
	}
	out, code = runOut(t, "-to", "+15551230000", srv.URL+"/mms/mmsphoneToken-012345678X")
	if code != 1 || !strings.Contains(out, "Not sent: Error-service-denied (0x82)") || !strings.Contains(out, "unknown phone token") {
		t.Errorf("wrong token: exit %d, output:\n%s", code, out)
	}
}

// Answers that are not an M-Send.conf are named for what they are.
func TestNotAnMMSC(t *testing.T) {
	for want, h := range map[string]http.HandlerFunc{
		"HTTP 503 Service Unavailable: storage full": func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "storage full", http.StatusServiceUnavailable)
		},
		"this URL is not an MMSC": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html>router login</html>"))
		},
		"not an M-Send.conf a phone could read": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/vnd.wap.mms-message")
			w.Write([]byte{0x8C})
		},
	} {
		srv := httptest.NewServer(h)
		out, code := runOut(t, "-to", "+15551230000", srv.URL+"/mms/x")
		srv.Close()
		if code != 1 || !strings.Contains(out, want) {
			t.Errorf("exit %d, output %q, want %q", code, out, want)
		}
	}
	for _, args := range [][]string{{"http://h/mms"}, {"-to", "+15551230000"}, {"-to", "+15551230000", "ftp://h/"}} {
		if _, code := runOut(t, args...); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
}

func runOut(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return out.String() + errOut.String(), code
}
