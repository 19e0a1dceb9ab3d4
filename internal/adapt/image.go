package adapt

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"

	"golang.org/x/image/draw"
)

// errTooLarge marks a picture shrink does not decode (over MaxPixels).
var errTooLarge = errors.New("adapt: picture has too many pixels")

// jpegQualities are tried in turn, one per attempt, the last repeated.
var jpegQualities = []int{85, 75, 65, 55}

// maxTries bounds the encodings of one picture. A PNG stays a PNG only
// if one of at least half its (MaxSide-bounded) size fits: a drawing
// does, while a photo would have to shrink to a thumbnail and goes to
// JPEG instead.
const maxTries = 8

// shrink re-encodes a picture to at most budget bytes and returns it and
// its media type.
func shrink(data []byte, budget int) ([]byte, string, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, "", fmt.Errorf("adapt: picture header: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return nil, "", errTooLarge
	}
	switch format {
	case "jpeg":
		return shrinkJPEG(data, budget)
	case "png":
		return shrinkPNG(data, budget)
	case "gif":
		return shrinkGIF(data, budget)
	}
	return nil, "", fmt.Errorf("adapt: picture is %s, not JPEG, PNG or GIF", format)
}

func shrinkJPEG(data []byte, budget int) ([]byte, string, error) {
	src, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, "", fmt.Errorf("adapt: JPEG: %w", err)
	}
	orient := orientation(data)
	var sc scaler
	b, err := search(src.Bounds(), budget, MinSide, func(w, h, try int) ([]byte, error) {
		return encodeJPEG(upright(sc.scale(src, w, h), orient), jpegQualities[min(try, len(jpegQualities)-1)])
	})
	return b, "image/jpeg", err
}

func shrinkPNG(data []byte, budget int) ([]byte, string, error) {
	src, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, "", fmt.Errorf("adapt: PNG: %w", err)
	}
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	var sc scaler
	w, h := within(src.Bounds().Dx(), src.Bounds().Dy(), MaxSide)
	b, err := search(src.Bounds(), budget, max(MinSide, max(w, h)/2), func(w, h, try int) ([]byte, error) {
		var buf bytes.Buffer
		err := enc.Encode(&buf, sc.scale(src, w, h))
		return buf.Bytes(), err
	})
	if !errors.Is(err, ErrNoFit) {
		return b, "image/png", err
	}
	// A photo saved as PNG: only JPEG keeps it large enough to see.
	b, err = search(src.Bounds(), budget, MinSide, func(w, h, try int) ([]byte, error) {
		return encodeJPEG(onWhite(sc.scale(src, w, h)), jpegQualities[min(try, len(jpegQualities)-1)])
	})
	return b, "image/jpeg", err
}

func shrinkGIF(data []byte, budget int) ([]byte, string, error) {
	g, err := gif.DecodeAll(bytes.NewReader(data))
	if err != nil {
		return nil, "", fmt.Errorf("adapt: GIF: %w", err)
	}
	canvas := image.Rect(0, 0, g.Config.Width, g.Config.Height)
	if canvas.Empty() && len(g.Image) > 0 {
		canvas = g.Image[0].Bounds()
	}
	b, err := search(canvas, budget, MinSide, func(w, h, try int) ([]byte, error) {
		var buf bytes.Buffer
		err := gif.EncodeAll(&buf, scaleGIF(g, canvas, w, h))
		return buf.Bytes(), err
	})
	return b, "image/gif", err
}

// search tries encode at falling sizes until the result fits budget:
// first the picture within MaxSide, then each time smaller by the square
// root of how far the last try missed (bytes grow with the area), the
// longer side not below floor. The try number lets the encoder lower its
// quality as it goes.
func search(b image.Rectangle, budget, floor int, encode func(w, h, try int) ([]byte, error)) ([]byte, error) {
	w, h := within(b.Dx(), b.Dy(), MaxSide)
	for try := 0; try < maxTries; try++ {
		out, err := encode(w, h, try)
		if err != nil {
			return nil, err
		}
		if len(out) <= budget {
			return out, nil
		}
		f := math.Sqrt(float64(budget)/float64(len(out))) * 0.95
		nw, nh := int(float64(w)*f), int(float64(h)*f)
		if max(nw, nh) < floor {
			if max(w, h) <= floor {
				break
			}
			nw, nh = within(w, h, floor)
		}
		w, h = max(nw, 1), max(nh, 1)
	}
	return nil, ErrNoFit
}

// within returns w×h scaled to fit a box of side×side, never enlarged.
func within(w, h, side int) (int, int) {
	if w <= side && h <= side {
		return w, h
	}
	if w >= h {
		return side, max(1, h*side/w)
	}
	return max(1, w*side/h), side
}

// scaler resizes a picture into one buffer that every try of a search
// reuses (each try is smaller than the first), so the tries do not each
// leave a picture's worth of garbage.
type scaler struct{ pix []byte }

// scale returns src resized to w×h, valid until the next call.
// ApproxBiLinear reads four source pixels per output pixel, so its cost
// follows the small output, not the large input: what a Pi Zero's single
// core can afford.
func (s *scaler) scale(src image.Image, w, h int) *image.RGBA {
	if n := 4 * w * h; n > len(s.pix) {
		s.pix = make([]byte, n)
	}
	dst := &image.RGBA{Pix: s.pix[:4*w*h], Stride: 4 * w, Rect: image.Rect(0, 0, w, h)}
	draw.ApproxBiLinear.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)
	return dst
}

// scaleGIF scales every frame of an animation by the same factor, each
// onto its own palette (nearest neighbour, so no new colours are needed).
func scaleGIF(g *gif.GIF, canvas image.Rectangle, w, h int) *gif.GIF {
	out := *g
	out.Image = make([]*image.Paletted, len(g.Image))
	fx, fy := float64(w)/float64(canvas.Dx()), float64(h)/float64(canvas.Dy())
	for i, fr := range g.Image {
		r := fr.Bounds()
		nr := image.Rect(int(float64(r.Min.X)*fx), int(float64(r.Min.Y)*fy),
			max(int(float64(r.Max.X)*fx), int(float64(r.Min.X)*fx)+1), max(int(float64(r.Max.Y)*fy), int(float64(r.Min.Y)*fy)+1))
		dst := image.NewPaletted(nr, fr.Palette)
		draw.NearestNeighbor.Scale(dst, nr, fr, r, draw.Src, nil)
		out.Image[i] = dst
	}
	out.Config.Width, out.Config.Height = w, h
	return &out
}

func encodeJPEG(img image.Image, quality int) ([]byte, error) {
	var buf bytes.Buffer
	err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality})
	return buf.Bytes(), err
}

// onWhite flattens a picture with transparency onto white, for JPEG.
func onWhite(img *image.RGBA) *image.RGBA {
	out := image.NewRGBA(img.Bounds())
	draw.Draw(out, out.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(out, out.Bounds(), img, img.Bounds().Min, draw.Over)
	return out
}
