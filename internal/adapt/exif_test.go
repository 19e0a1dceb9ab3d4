package adapt

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"testing"
)

// withOrientation inserts an Exif APP1 segment holding only the
// Orientation tag after a JPEG's SOI, in the byte order bo.
func withOrientation(jpg []byte, o uint16, bo binary.ByteOrder) []byte {
	tiff := make([]byte, 8+2+12+4)
	if bo == binary.ByteOrder(binary.LittleEndian) {
		copy(tiff, "II")
	} else {
		copy(tiff, "MM")
	}
	bo.PutUint16(tiff[2:], 42)
	bo.PutUint32(tiff[4:], 8)
	bo.PutUint16(tiff[8:], 1)       // one entry
	bo.PutUint16(tiff[10:], 0x0112) // Orientation
	bo.PutUint16(tiff[12:], 3)      // SHORT
	bo.PutUint32(tiff[14:], 1)
	bo.PutUint16(tiff[18:], o)
	seg := append([]byte("Exif\x00\x00"), tiff...)
	app1 := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(app1[2:], uint16(2+len(seg)))
	out := append([]byte{}, jpg[:2]...)
	out = append(append(out, app1...), seg...)
	return append(out, jpg[2:]...)
}

func TestOrientationParse(t *testing.T) {
	plain := jpegOf(t, photo(16, 8, 1), 80)
	for _, c := range []struct {
		jpg  []byte
		want int
	}{
		{plain, 1},
		{withOrientation(plain, 6, binary.LittleEndian), 6},
		{withOrientation(plain, 8, binary.BigEndian), 8},
		{withOrientation(plain, 9, binary.BigEndian), 1},         // out of range
		{withOrientation(plain, 3, binary.LittleEndian)[:30], 1}, // cut off inside the segment
		{[]byte("not a jpeg"), 1},
	} {
		if got := orientation(c.jpg); got != c.want {
			t.Errorf("orientation = %d, want %d", got, c.want)
		}
	}
}

// halves is a w×h picture, the left half red and the right half blue,
// with noise so that it does not compress to nothing.
func halves(w, h int) *image.RGBA {
	r := rand.New(rand.NewPCG(9, 9))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := img.PixOffset(x, y)
			n := uint8(r.IntN(40))
			if x < w/2 {
				img.Pix[i], img.Pix[i+1], img.Pix[i+2] = 215+n, n, n
			} else {
				img.Pix[i], img.Pix[i+1], img.Pix[i+2] = n, n, 215+n
			}
			img.Pix[i+3] = 255
		}
	}
	return img
}

// TestFitTurnsUpright: a photo taken with the phone turned (Exif
// Orientation 6, stored on its side) comes out upright, since the
// re-encoded file carries no Exif.
func TestFitTurnsUpright(t *testing.T) {
	pic := withOrientation(jpegOf(t, halves(800, 400), 95), 6, binary.BigEndian)
	in := conf(pic, "image/jpeg", "photo.jpg")
	out, err := newAdapter(t).Fit("20260314-120000-000001", size(t, in)*6/10, in, size(t, in))
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(bytes.NewReader(out.Parts[1].Data))
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	if b.Dy() <= b.Dx() {
		t.Fatalf("adapted picture is %dx%d: not turned upright", b.Dx(), b.Dy())
	}
	top, bottom := img.At(b.Dx()/2, b.Dy()/4), img.At(b.Dx()/2, b.Dy()*3/4)
	if r, _, bl, _ := top.RGBA(); r < bl {
		t.Errorf("top is %v, want red (the stored left side)", top)
	}
	if r, _, bl, _ := bottom.RGBA(); bl < r {
		t.Errorf("bottom is %v, want blue", bottom)
	}
}

// TestUprightAll checks every orientation on a 3×2 picture whose pixels
// are numbered, against the transformations of the Exif standard.
func TestUprightAll(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 3, 2))
	for i := 0; i < 6; i++ {
		src.Pix[i*4] = uint8(i + 1) // 1 2 3 / 4 5 6
	}
	want := map[int][]uint8{
		1: {1, 2, 3, 4, 5, 6},
		2: {3, 2, 1, 6, 5, 4},
		3: {6, 5, 4, 3, 2, 1},
		4: {4, 5, 6, 1, 2, 3},
		5: {1, 4, 2, 5, 3, 6},
		6: {4, 1, 5, 2, 6, 3},
		7: {6, 3, 5, 2, 4, 1},
		8: {3, 6, 2, 5, 1, 4},
	}
	for o := 1; o <= 8; o++ {
		out := upright(src, o)
		var got []uint8
		for i := 0; i < len(out.Pix); i += 4 {
			got = append(got, out.Pix[i])
		}
		if !bytes.Equal(got, want[o]) {
			t.Errorf("orientation %d: %v, want %v (%dx%d)", o, got, want[o], out.Bounds().Dx(), out.Bounds().Dy())
		}
	}
}
