package adapt

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"testing"

	"github.com/homemmsc/homemmsc/internal/mms"
)

// photo draws a w×h picture that compresses like a photograph: smooth
// gradients and shapes under sensor-like noise, the same for a seed.
func photo(w, h int, seed uint64) *image.RGBA {
	r := rand.New(rand.NewPCG(seed, 1))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			n := int(r.IntN(48)) - 24
			i := img.PixOffset(x, y)
			img.Pix[i+0] = clamp(x*255/w + n)
			img.Pix[i+1] = clamp(y*255/h + n)
			img.Pix[i+2] = clamp((x+y)*127/(w+h) + 64 + n)
			img.Pix[i+3] = 255
		}
	}
	return img
}

func clamp(v int) uint8 { return uint8(min(255, max(0, v))) }

func jpegOf(t testing.TB, img image.Image, q int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pngHeader is the start of a PNG that claims w×h pixels: signature and
// IHDR, all image.DecodeConfig reads.
func pngHeader(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 0, 0, 0, 0) // 8-bit grey, no interlace
	b := []byte("\x89PNG\r\n\x1a\n")
	b = binary.BigEndian.AppendUint32(b, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b = append(b, chunk...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(chunk))
}

func pngOf(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// animation is an n-frame GIF of w×h noise on the Plan 9 palette.
func animation(t testing.TB, w, h, n int) []byte {
	t.Helper()
	g := &gif.GIF{Config: image.Config{Width: w, Height: h}}
	pal := color.Palette(paletteOf())
	for f := 0; f < n; f++ {
		fr := image.NewPaletted(image.Rect(0, 0, w, h), pal)
		r := rand.New(rand.NewPCG(uint64(f), 2))
		for i := range fr.Pix {
			fr.Pix[i] = uint8(r.IntN(len(pal)))
		}
		g.Image = append(g.Image, fr)
		g.Delay = append(g.Delay, 10)
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, g); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func paletteOf() []color.Color {
	var p []color.Color
	for i := 0; i < 64; i++ {
		p = append(p, color.RGBA{uint8(i * 4), uint8(255 - i*4), uint8(i * 2), 255})
	}
	return p
}

const smil = `<smil><head><layout><root-layout/><region id="Image"/></layout></head>` +
	`<body><par dur="5000ms"><img src="photo.png" region="Image"/><text src="text.txt"/></par></body></smil>`

// conf is an M-Retrieve.conf with a SMIL, a text and the given picture.
func conf(picture []byte, media, location string) *mms.Message {
	return &mms.Message{
		Type: mms.TypeRetrieveConf, TransactionID: "T1", Version: mms.Version12, MessageID: "20260314-120000-000001",
		From:    mms.PLMN("+15550001111"),
		To:      []mms.Address{mms.PLMN("+15550002222")},
		Subject: mms.Text("a photo"),
		ContentType: mms.ContentType{MediaType: "application/vnd.wap.multipart.related",
			Params: []mms.Param{{Name: "start", Value: "<smil>"}, {Name: "type", Value: "application/smil"}}},
		Parts: []mms.Part{
			{ContentType: mms.ContentType{MediaType: "application/smil"}, ContentID: "<smil>", ContentLocation: "smil.xml", Data: []byte(smil)},
			{ContentType: mms.ContentType{MediaType: media, Params: []mms.Param{{Name: "name", Value: location}}},
				ContentID: "<img1>", ContentLocation: location, Data: picture},
			{ContentType: mms.ContentType{MediaType: "text/plain", Params: []mms.Param{{Name: "charset", Value: "utf-8"}}},
				ContentLocation: "text.txt", Data: []byte("Look at this! ✨")},
		},
	}
}

func newAdapter(t testing.TB) *Adapter {
	t.Helper()
	a, err := New(Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func size(t testing.TB, m *mms.Message) int {
	t.Helper()
	b, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}
