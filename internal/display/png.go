package display

import (
	"image"
	"image/color"

	"periph.io/x/devices/v3/ssd1306/image1bit"
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
