package inbox

import (
	"errors"
	"image"
	"image/color"

	"github.com/homemmsc/homemmsc/internal/mms"
)

// Old phones send pictures as WBMP (WAP-237-WAEMT §5, Type 0: one bit a
// pixel), which no browser decodes. The inbox converts them to PNG when
// they are shown, and makes thumbnails from them like any other image.
const wbmpType = "image/vnd.wap.wbmp"

// maxWBMPSide bounds a WBMP's width and height: a 1-bit picture of a
// phone's screen is at most a few hundred pixels a side.
const maxWBMPSide = 4096

var errWBMP = errors.New("inbox: not a WBMP type 0 image")

// decodeWBMP decodes a Type 0 WBMP: TypeField 0, FixHeaderField 0 (no
// extension headers), width and height as uintvars, then the rows, each
// padded to a whole octet, most significant bit first, 1 = white.
func decodeWBMP(data []byte) (image.Image, error) {
	if len(data) < 4 || data[0] != 0 || data[1] != 0 {
		return nil, errWBMP
	}
	w, rest, err := mms.ReadUintvar(data[2:])
	if err != nil {
		return nil, errWBMP
	}
	h, rest, err := mms.ReadUintvar(rest)
	if err != nil || w == 0 || h == 0 || w > maxWBMPSide || h > maxWBMPSide {
		return nil, errWBMP
	}
	stride := (int(w) + 7) / 8
	if len(rest) < stride*int(h) {
		return nil, errWBMP
	}
	img := image.NewPaletted(image.Rect(0, 0, int(w), int(h)), color.Palette{color.Black, color.White})
	for y := range int(h) {
		row := rest[y*stride:]
		for x := range int(w) {
			img.Pix[y*img.Stride+x] = row[x/8] >> (7 - x%8) & 1
		}
	}
	return img, nil
}
