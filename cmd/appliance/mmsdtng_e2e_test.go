package main_test

import (
	"bytes"

	"image"
	"image/color"
	"image/jpeg"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/mmsdtest"
	"github.com/homemmsc/homemmsc/internal/modem/modemtest"
	"github.com/homemmsc/homemmsc/internal/modem/sms"
	"github.com/homemmsc/homemmsc/internal/store"
)

// Two Linux phones running the real mmsd-tng (Debian's, the daemon behind
// Phosh and Chatty), each on its own private D-Bus with a fake
// ModemManager (internal/mmsdtest), and the real appliance with both
// paired, delivery on and the pty fake modem. Anna's mmsd-tng sends a
// text and a JPEG through her token URL; the appliance pushes the
// notification to Ben through the modem; the WAP push is handed to Ben's
// fake ModemManager as a received SMS, and Ben's mmsd-tng must fetch the
// message, post its M-NotifyResp.ind and export it as received with the
// same text and JPEG bytes; a third mmsd-tng, with a mistyped token in
// its MMSC URL, must report its message as not sent (issue 12).
func TestMmsdTngE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary and mmsd-tng; skipped with -short")
	}
	requireMmsd(t)
	bin := e2eBuild(t, t.TempDir(), "mmsdtng-e2e")
	m := modemtest.New(t)
	_, cwd, data := dirs(t)
	// The public URL has a path, as behind a reverse proxy: phones post to
	// and fetch from under it.
	p := startPublic(t, bin, cwd, data, "/mmsc", "-modem", m.Link(), "-owner", dOwner,
		"-phones", "Anna:"+dAnna+":"+dTokA+",Ben:"+dBen+":"+dTokB)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("appliance log:\n%s", p.log.String())
		}
	})
	mmsc := "http://" + p.addr + "/mmsc/mms/"
	anna := startMmsd(t, dAnna, mmsc+dTokA)
	ben := startMmsd(t, dBen, mmsc+dTokB)

	text, photo := []byte("a cat, from a Linux phone"), testJPEG(t)
	const smil = `<smil><head><layout><root-layout/><region id="Image"/><region id="Text"/></layout></head>` +
		`<body><par dur="5000ms"><img src="cat.jpg" region="Image"/><text src="text.txt" region="Text"/></par></body></smil>`
	sent, err := anna.Send([]string{dBen}, "Grüße", smil, []mmsdtest.Attachment{
		{ID: "text.txt", ContentType: "text/plain", Data: text},
		{ID: "cat.jpg", ContentType: "image/jpeg", Data: photo},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := anna.WaitStatus(sent, "sent"); err != nil {
		t.Fatal(err)
	}

	push := pushTo(t, m, dBen)
	if err := ben.MM.Deliver(dOwner, push); err != nil {
		t.Fatal(err)
	}
	got, err := ben.WaitReceived()
	if err != nil {
		t.Fatal(err)
	}
	if got.Sender != dAnna || got.Subject != "Grüße" || !strings.Contains(got.Smil, `<img src="cat.jpg"`) {
		t.Errorf("received from %q, subject %q, SMIL %q; want Anna %s, the subject and the SMIL sent", got.Sender, got.Subject, got.Smil, dAnna)
	}
	samePart(t, got, "text/plain", text)
	samePart(t, got, "image/jpeg", photo)
	if d := ben.MM.Deleted(); len(d) != 1 {
		t.Errorf("Ben's mmsd-tng deleted %d SMS from the modem, want the push", len(d))
	}

	// A phone whose MMSC URL has a mistyped token: mmsd-tng must show the
	// message as not sent (an HTTP error would do too, but Android retries
	// those silently; service-denied is the answer all three stacks show).
	typo := startMmsd(t, dAnna, mmsc+dTokA[:len(dTokA)-1]+"X")
	lost, err := typo.Send([]string{dBen}, "", "", []mmsdtest.Attachment{{ID: "t.txt", ContentType: "text/plain", Data: text}})
	if err != nil {
		t.Fatal(err)
	}
	if err := typo.WaitSendError(lost); err != nil {
		t.Error(err)
	}
	p.stop()
	benRetrieved(t, data)
}

// benRetrieved reopens the store and checks that the one message is
// marked retrieved by Ben: the appliance took Ben's M-NotifyResp.ind.
func benRetrieved(t *testing.T, data string) {
	t.Helper()
	st, err := store.Open(store.Config{Dir: data, MinFree: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	list, _ := st.Query(store.Query{})
	if len(list) != 1 {
		t.Fatalf("%d messages stored, want 1", len(list))
	}
	if d := list[0].Delivery; len(d) != 1 || d[0].Phone != "Ben" || d[0].State != "retrieved" {
		t.Errorf("delivery in the metadata %+v, want Ben retrieved", d)
	}
}

// requireMmsd skips the test where mmsd-tng is not installed, except in
// CI, which installs it (.ci/run).
func requireMmsd(t *testing.T) {
	t.Helper()
	if _, err := mmsdtest.LookPath(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%v; CI must install it", err)
		}
		t.Skipf("%v: apt-get install --no-install-recommends mmsd-tng dbus-daemon", err)
	}
}

// startMmsd starts one phone's mmsd-tng with its MMSC URL and fails the
// test if it made a call the fake ModemManager does not know.
func startMmsd(t *testing.T, number, mmsc string) *mmsdtest.Phone {
	t.Helper()
	ph, err := mmsdtest.StartPhone(t.TempDir(), mmsdtest.PhoneConfig{Number: number, MMSC: mmsc})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ph.Close()
		if r := ph.MM.Refused(); len(r) > 0 {
			t.Errorf("mmsd-tng of %s made calls the fake ModemManager refused: %q", number, r)
		}
		if t.Failed() {
			t.Logf("calls mmsd-tng of %s made to the fake ModemManager: %q", number, ph.MM.Calls())
			t.Logf("mmsd-tng of %s:\n%s", number, ph.Log())
		}
	})
	return ph
}

// startPublic starts the appliance with -public-url naming its own
// listener and path, as a phone reaches it.
func startPublic(t *testing.T, bin, cwd, data, path string, args ...string) *e2eProc {
	t.Helper()
	for range 3 { // the free port may be taken between the probe and the start
		addr := freeAddr(t)
		p := e2eTryStart(t, bin, cwd, data, append([]string{"-listen", addr, "-public-url", "http://" + addr + path}, args...))
		p.addr = addr
		if p.waitListening(15 * time.Second) {
			t.Cleanup(p.kill)
			return p
		}
		p.kill()
	}
	t.Fatal("appliance did not start listening")
	return nil
}

// pushTo waits for the WAP push to a number and returns its user data as
// ModemManager hands it on: the parts joined, their headers stripped.
func pushTo(t *testing.T, m *modemtest.Pty, to string) []byte {
	t.Helper()
	for n := 1; ; n++ {
		msgs := m.WaitMessages(t, n)
		if msg := msgs[n-1]; msg.To == to && msg.DstPort == int(sms.PortWAPPush) {
			return msg.Data
		}
	}
}

// samePart checks the received message has one attachment of the type
// with exactly these bytes.
func samePart(t *testing.T, m *mmsdtest.Message, mediaType string, want []byte) {
	t.Helper()
	for _, a := range m.Attachments {
		if strings.HasPrefix(a.ContentType, mediaType) {
			if !bytes.Equal(a.Data, want) {
				t.Errorf("%s part: %d bytes differ from the %d sent", mediaType, len(a.Data), len(want))
			}
			return
		}
	}
	t.Errorf("no %s part among %d received", mediaType, len(m.Attachments))
}

// testJPEG encodes a small real JPEG.
func testJPEG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := range 64 {
		for y := range 48 {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 5), 128, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
