package deliver

import (
	"bytes"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"testing"

	"github.com/homemmsc/homemmsc/internal/adapt"
	"github.com/homemmsc/homemmsc/internal/mms"
)

// noisyJPEG is a w×h JPEG that compresses like a photo.
func noisyJPEG(t *testing.T, w, h int) []byte {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(i%251) ^ uint8(r.IntN(64))
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestFitToPhone: Ben's phone takes at most 100 KB, so the photo in the
// message he fetches is made smaller (through internal/adapt) until the
// M-Retrieve.conf fits; the stored original stays as it was, and
// without a Fit the message goes whole.
func TestFitToPhone(t *testing.T) {
	e := newEnv(t)
	a, err := adapt.New(adapt.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	e.fit = a.Fit
	e.open()
	if err := e.phones.SetMaxMessage(tokB, 100<<10); err != nil {
		t.Fatal(err)
	}
	photo := noisyJPEG(t, 1200, 900)
	req := sendReq(func(m *mms.Message) { m.Parts[2].Data = photo })
	id := e.put(req)
	e.drain()
	n := e.pusher.pushes(t, numB)[0]
	if n.MessageSize != 100<<10 {
		t.Errorf("notification announces %d bytes, want Ben's limit", n.MessageSize)
	}
	w := e.get(n.ContentLocation[len("http://mms.example.org:8080"):])
	if w.Body.Len() > 100<<10 || len(photo) < 150<<10 {
		t.Fatalf("M-Retrieve.conf is %d bytes for a %d-byte photo; Ben's limit is %d", w.Body.Len(), len(photo), 100<<10)
	}
	conf, err := mms.Decode(w.Body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jpeg.Decode(bytes.NewReader(conf.Parts[2].Data)); err != nil {
		t.Errorf("adapted picture: %v", err)
	}
	if !bytes.Equal(conf.Parts[1].Data, req.Parts[1].Data) || !bytes.Equal(conf.Parts[0].Data, req.Parts[0].Data) {
		t.Error("text or SMIL changed")
	}
	if data, _, err := e.st.Part(id, 2); err != nil || !bytes.Equal(data, photo) {
		t.Errorf("the stored photo changed: %v", err)
	}

	e.fit = nil
	e.open()
	whole := e.retrieve(n.ContentLocation)
	if !bytes.Equal(whole.Parts[2].Data, photo) {
		t.Error("without Fit the photo was not sent as stored")
	}
}
