package adapt

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"image"
	"image/gif"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/homemmsc/homemmsc/internal/mms"
)

// sums fingerprints every part's data, to show the original untouched.
func sums(m *mms.Message) [][32]byte {
	var out [][32]byte
	for _, p := range m.Parts {
		out = append(out, sha256.Sum256(p.Data))
	}
	return out
}

func equalSums(a, b [][32]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// fourByThree allows the rounding of a scaled side.
func fourByThree(w, h int) bool { d := w*3 - h*4; return d >= -4 && d <= 4 }

// TestFitJPEG fits a 2 MB photo into 300 KB: the M-Retrieve.conf encodes
// within the limit, the picture is still a JPEG of the same shape, the
// SMIL and text are byte for byte the sender's, and the message Fit was
// given is unchanged.
func TestFitJPEG(t *testing.T) {
	pic := jpegOf(t, photo(2400, 1800, 1), 95)
	if len(pic) < 1<<20 {
		t.Fatalf("test photo only %d bytes", len(pic))
	}
	in := conf(pic, "image/jpeg", "photo.jpg")
	before := sums(in)
	out, err := newAdapter(t).Fit("20260314-120000-000001", 300<<10, in, size(t, in))
	if err != nil {
		t.Fatal(err)
	}
	if n := size(t, out); n > 300<<10 {
		t.Fatalf("adapted message is %d bytes, limit %d", n, 300<<10)
	}
	if !equalSums(sums(in), before) || &in.Parts[0] == &out.Parts[0] {
		t.Fatal("Fit changed the message it was given")
	}
	if !bytes.Equal(out.Parts[0].Data, in.Parts[0].Data) || !bytes.Equal(out.Parts[2].Data, in.Parts[2].Data) {
		t.Error("SMIL or text changed")
	}
	p := out.Parts[1]
	cfg, format, err := image.DecodeConfig(bytes.NewReader(p.Data))
	if err != nil || format != "jpeg" || p.ContentType.MediaType != "image/jpeg" || p.ContentLocation != "photo.jpg" {
		t.Fatalf("picture: %v %s %s %s", err, format, p.ContentType.MediaType, p.ContentLocation)
	}
	if cfg.Width > MaxSide || cfg.Height > MaxSide || !fourByThree(cfg.Width, cfg.Height) {
		t.Errorf("adapted picture is %dx%d, want 4:3 within %d", cfg.Width, cfg.Height, MaxSide)
	}
}

// TestFitUnderLimit leaves a message that fits alone.
func TestFitUnderLimit(t *testing.T) {
	in := conf(jpegOf(t, photo(200, 150, 1), 80), "image/jpeg", "photo.jpg")
	if out, err := newAdapter(t).Fit("20260314-120000-000001", 600<<10, in, size(t, in)); err != nil || out != in {
		t.Fatalf("got %p %v, want the same message", out, err)
	}
}

// TestFitPNGPhoto turns a photo saved as PNG into a JPEG when no PNG is
// small enough, renames it and rewrites the SMIL's reference.
func TestFitPNGPhoto(t *testing.T) {
	in := conf(pngOf(t, photo(800, 600, 2)), "image/png", "photo.png")
	out, err := newAdapter(t).Fit("20260314-120000-000001", 100<<10, in, size(t, in))
	if err != nil {
		t.Fatal(err)
	}
	if n := size(t, out); n > 100<<10 {
		t.Fatalf("%d bytes", n)
	}
	p := out.Parts[1]
	if p.ContentType.MediaType != "image/jpeg" || p.ContentLocation != "photo.jpg" || p.ContentID != "<img1>" {
		t.Errorf("picture: %s at %q id %q", p.ContentType.MediaType, p.ContentLocation, p.ContentID)
	}
	if name, _ := p.ContentType.Param("name"); name != "photo.jpg" {
		t.Errorf("name %q", name)
	}
	if _, err := jpeg.Decode(bytes.NewReader(p.Data)); err != nil {
		t.Error(err)
	}
	if s := string(out.Parts[0].Data); !strings.Contains(s, `src="photo.jpg"`) || strings.Contains(s, "photo.png") {
		t.Errorf("SMIL not consistent: %s", s)
	}
	if !strings.Contains(string(in.Parts[0].Data), `src="photo.png"`) {
		t.Error("the original SMIL was changed")
	}
}

// TestFitPNGStaysPNG keeps a PNG a PNG when a smaller PNG fits (a
// drawing, which JPEG would smear).
func TestFitPNGStaysPNG(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 1200, 1200)) // a drawing: flat blocks of colour
	for y := 0; y < 1200; y++ {
		for x := 0; x < 1200; x++ {
			i := img.PixOffset(x, y)
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = uint8(y/200*25), uint8(x/250*30), uint8((x/100+y/100)%2*200), 255
		}
	}
	pic := pngOf(t, img)
	in := conf(pic, "image/png", "photo.png")
	out, err := newAdapter(t).Fit("20260314-120000-000001", len(pic)/2, in, size(t, in))
	if err != nil {
		t.Fatal(err)
	}
	if p := out.Parts[1]; p.ContentType.MediaType != "image/png" || p.ContentLocation != "photo.png" {
		t.Errorf("picture became %s %s", p.ContentType.MediaType, p.ContentLocation)
	}
	if size(t, out) > len(pic)/2 {
		t.Error("does not fit")
	}
}

// TestFitGIF scales every frame of an animation and keeps it a GIF.
func TestFitGIF(t *testing.T) {
	pic := animation(t, 480, 360, 4)
	in := conf(pic, "image/gif", "anim.gif")
	limit := len(pic) / 3
	out, err := newAdapter(t).Fit("20260314-120000-000001", limit, in, size(t, in))
	if err != nil {
		t.Fatal(err)
	}
	if size(t, out) > limit {
		t.Fatal("does not fit")
	}
	g, err := gif.DecodeAll(bytes.NewReader(out.Parts[1].Data))
	if err != nil || len(g.Image) != 4 || g.Config.Width >= 480 || !fourByThree(g.Config.Width, g.Config.Height) {
		t.Fatalf("GIF: %v, %d frames, %dx%d", err, len(g.Image), g.Config.Width, g.Config.Height)
	}
}

// TestFitNoFit reports ErrNoFit, and gives the message back, when the
// parts it may not change are over the limit already.
func TestFitNoFit(t *testing.T) {
	in := conf(jpegOf(t, photo(800, 600, 1), 90), "image/jpeg", "photo.jpg")
	in.Parts[2].Data = bytes.Repeat([]byte("words "), 20000)
	a := newAdapter(t)
	out, err := a.Fit("20260314-120000-000001", 100<<10, in, size(t, in))
	if !errors.Is(err, ErrNoFit) || out != in {
		t.Fatalf("got %v, %p; want ErrNoFit and the message", err, out)
	}
	// The phone fetches again: the verdict is remembered, not worked out again.
	if _, err := a.Fit("20260314-120000-000001", 100<<10, in, size(t, in)); !errors.Is(err, ErrNoFit) || a.adapted != 1 {
		t.Fatalf("second fetch: %v after %d adaptations, want ErrNoFit from the cache", err, a.adapted)
	}
}

// TestFitTooManyPixels does not decode a picture whose header claims
// more than MaxPixels (a decompression bomb), and says it cannot fit.
func TestFitTooManyPixels(t *testing.T) {
	bomb := pngHeader(10000, 6000) // claims 60 MP: only the header is ever read
	if _, _, err := shrink(bomb, 1000); !errors.Is(err, errTooLarge) {
		t.Fatalf("shrink: %v, want the pixel cap", err)
	}
	in := conf(bomb, "image/png", "photo.png")
	_, err := newAdapter(t).Fit("20260314-120000-000001", len(bomb)/2, in, size(t, in))
	if !errors.Is(err, ErrNoFit) {
		t.Fatalf("got %v, want ErrNoFit", err)
	}
}

// TestFitCache: the second fetch for the same limit reads the cache
// (one adaptation), equal to the first; another limit adapts again.
func TestFitCache(t *testing.T) {
	a := newAdapter(t)
	in := conf(jpegOf(t, photo(1600, 1200, 4), 95), "image/jpeg", "photo.jpg")
	id := "20260314-120000-000001"
	first, err := a.Fit(id, 200<<10, in, size(t, in))
	if err != nil {
		t.Fatal(err)
	}
	in.TransactionID = "T2" // another recipient's fetch
	second, err := a.Fit(id, 200<<10, in, size(t, in))
	if err != nil || a.adapted != 1 {
		t.Fatalf("second fetch: %v, %d adaptations", err, a.adapted)
	}
	if !bytes.Equal(first.Parts[1].Data, second.Parts[1].Data) || second.TransactionID != "T2" || size(t, second) > 200<<10 {
		t.Error("the cached message differs from the first, or lost the fetch's own headers")
	}
	if _, err := os.Stat(filepath.Join(a.cfg.Dir, id+".204800.v1.mms")); err != nil {
		t.Error(err)
	}
	if _, err := a.Fit(id, 100<<10, in, size(t, in)); err != nil || a.adapted != 2 {
		t.Fatalf("another limit: %v, %d adaptations", err, a.adapted)
	}
}

// TestFitKeepsUndecodable: a picture that does not decode is sent as it
// is, and the other pictures are still made to fit.
func TestFitKeepsUndecodable(t *testing.T) {
	in := conf(jpegOf(t, photo(1600, 1200, 5), 95), "image/jpeg", "photo.jpg")
	broken := []byte("\xff\xd8\xff\xe0 this is not a JPEG after all")
	in.Parts = append(in.Parts, mms.Part{ContentType: mms.ContentType{MediaType: "image/jpeg"}, ContentLocation: "broken.jpg", Data: broken})
	out, err := newAdapter(t).Fit("20260314-120000-000001", 200<<10, in, size(t, in))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Parts[3].Data, broken) || size(t, out) > 200<<10 {
		t.Errorf("the broken picture changed, or the message does not fit (%d bytes)", size(t, out))
	}
}
