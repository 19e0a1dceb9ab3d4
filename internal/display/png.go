package display

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"

	"periph.io/x/devices/v3/ssd1306/image1bit"

	"github.com/homemmsc/homemmsc/internal/atomicfile"
)

// toGray converts a frame to 8-bit grey, lit pixels at level lit (the PNG
// writer passes the contrast so that dimming shows).
func toGray(img *image1bit.VerticalLSB, lit uint8) *image.Gray {
	g := image.NewGray(img.Rect)
	for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
		for x := img.Rect.Min.X; x < img.Rect.Max.X; x++ {
			if img.BitAt(x, y) {
				g.SetGray(x, y, color.Gray{Y: lit})
			}
		}
	}
	return g
}

// PNGWriter is a Screen that writes each frame to a PNG file, for running
// on a machine with no panel. Lit pixels are grey in proportion to the
// contrast, and a halted screen is written black, so dimming and blanking
// show too. Every write is atomic: a temporary file in the same directory,
// synced, then renamed over the old one.
type PNGWriter struct {
	path     string
	rect     image.Rectangle
	frame    *image1bit.VerticalLSB
	contrast byte
	halted   bool
}

// NewPNGWriter returns a Screen of panel p's size that writes to path.
func NewPNGWriter(path string, p Panel) *PNGWriter {
	r := image.Rectangle{Max: p.Size()}
	return &PNGWriter{path: path, rect: r, frame: image1bit.NewVerticalLSB(r), contrast: 0xFF}
}

func (w *PNGWriter) String() string { return "png:" + w.path }

// ColorModel implements display.Drawer.
func (w *PNGWriter) ColorModel() color.Model { return image1bit.BitModel }

// Bounds implements display.Drawer.
func (w *PNGWriter) Bounds() image.Rectangle { return w.rect }

// Draw implements display.Drawer.
func (w *PNGWriter) Draw(r image.Rectangle, src image.Image, sp image.Point) error {
	draw.Src.Draw(w.frame, r, src, sp)
	w.halted = false
	return w.write()
}

// SetContrast changes the grey of lit pixels; like the panels, it turns a
// halted screen back on.
func (w *PNGWriter) SetContrast(level byte) error {
	w.contrast, w.halted = level, false
	return w.write()
}

// Halt writes a dark frame.
func (w *PNGWriter) Halt() error {
	w.halted = true
	return w.write()
}

func (w *PNGWriter) write() error {
	img := image.NewGray(w.rect)
	if !w.halted {
		img = toGray(w.frame, 0x40+byte(int(w.contrast)*0xBF/0xFF))
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return fmt.Errorf("display: %w", err)
	}
	if err := atomicfile.WritePerm(w.path, b.Bytes(), 0o644, true); err != nil {
		return fmt.Errorf("display: writing %s: %w", w.path, err)
	}
	return nil
}
