package adapt

import (
	"encoding/binary"
	"image"
)

// orientation returns the Exif Orientation (1-8, JEITA CP-3451 §4.6.4)
// of a JPEG, 1 when it has none or it cannot be read. Only the markers
// before the image data are walked, each bounded by its own length.
func orientation(jpg []byte) int {
	if len(jpg) < 4 || jpg[0] != 0xFF || jpg[1] != 0xD8 {
		return 1
	}
	p := jpg[2:]
	for len(p) >= 4 && p[0] == 0xFF {
		marker, n := p[1], int(binary.BigEndian.Uint16(p[2:4]))
		if n < 2 || n+2 > len(p) || marker == 0xDA { // start of scan: no more metadata
			return 1
		}
		if seg := p[4 : n+2]; marker == 0xE1 && len(seg) > 6 && string(seg[:6]) == "Exif\x00\x00" {
			if o := tiffOrientation(seg[6:]); o >= 1 && o <= 8 {
				return o
			}
			return 1
		}
		p = p[n+2:]
	}
	return 1
}

// tiffOrientation reads tag 0x0112 of IFD0 of a TIFF header; 0 if absent.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	off := int(bo.Uint32(t[4:8]))
	if off < 8 || off+2 > len(t) {
		return 0
	}
	count := int(bo.Uint16(t[off:]))
	for i := 0; i < count; i++ {
		e := off + 2 + 12*i
		if e+12 > len(t) {
			return 0
		}
		if bo.Uint16(t[e:]) == 0x0112 && bo.Uint16(t[e+2:]) == 3 { // SHORT
			return int(bo.Uint16(t[e+8:]))
		}
	}
	return 0
}

// upright returns img turned as Exif orientation o says the camera held
// it, so that it shows the right way up without its Exif.
func upright(img *image.RGBA, o int) *image.RGBA {
	if o < 2 || o > 8 {
		return img
	}
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	out := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for dy := 0; dy < dh; dy++ {
		for dx := 0; dx < dw; dx++ {
			sx, sy := source(o, dx, dy, w, h)
			si, di := img.PixOffset(sx, sy), out.PixOffset(dx, dy)
			copy(out.Pix[di:di+4], img.Pix[si:si+4])
		}
	}
	return out
}

// source is the pixel of the w×h stored picture shown at (dx, dy).
func source(o, dx, dy, w, h int) (int, int) {
	switch o {
	case 2: // mirrored
		return w - 1 - dx, dy
	case 3: // upside down
		return w - 1 - dx, h - 1 - dy
	case 4: // mirrored, upside down
		return dx, h - 1 - dy
	case 5: // mirrored, on its side
		return dy, dx
	case 6: // taken turned right: turn it back clockwise
		return dy, h - 1 - dx
	case 7:
		return w - 1 - dy, h - 1 - dx
	default: // 8: taken turned left: turn it back anticlockwise
		return w - 1 - dy, dx
	}
}
