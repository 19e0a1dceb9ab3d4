package display

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func grey(img image.Image, x, y int) uint8 {
	return color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y
}

func TestPNGWriter(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "screen.png")
	w := NewPNGWriter(path, Panel128x32)
	frame := Render(healthy(), Panel128x32)
	if err := w.Draw(frame.Rect, frame, image.Point{}); err != nil {
		t.Fatal(err)
	}
	img := readPNG(t, path)
	if img.Bounds().Size() != image.Pt(128, 32) {
		t.Fatalf("PNG is %v", img.Bounds())
	}
	if d := diffBits(frame, img); d != "" {
		t.Errorf("PNG differs from the frame:\n%s", d)
	}
	lit := image.Point{-1, -1}
	for y := 0; y < 32 && lit.X < 0; y++ {
		for x := 0; x < 128; x++ {
			if frame.BitAt(x, y) {
				lit = image.Pt(x, y)
				break
			}
		}
	}

	if err := w.SetContrast(0); err != nil {
		t.Fatal(err)
	}
	if g := grey(readPNG(t, path), lit.X, lit.Y); g != 0x40 {
		t.Errorf("dimmed pixel grey %#x, want 0x40", g)
	}
	if err := w.Halt(); err != nil {
		t.Fatal(err)
	}
	if g := grey(readPNG(t, path), lit.X, lit.Y); g != 0 {
		t.Errorf("halted screen has a lit pixel (%#x)", g)
	}
	if err := w.SetContrast(0xFF); err != nil {
		t.Fatal(err)
	}
	if g := grey(readPNG(t, path), lit.X, lit.Y); g != 0xFF {
		t.Errorf("woken pixel grey %#x, want 0xff", g)
	}

	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d files, want only screen.png (temporary files left?)", len(entries))
	}
}

func TestPNGWriterReportsError(t *testing.T) {
	w := NewPNGWriter(filepath.Join(t.TempDir(), "missing", "screen.png"), Panel128x64)
	frame := Render(healthy(), Panel128x64)
	if err := w.Draw(frame.Rect, frame, image.Point{}); err == nil {
		t.Error("Draw into a missing directory succeeded")
	}
}
