package font

import (
	"image"
	"image/draw"
	"strings"
	"sync"

	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Box is the rune drawn for a character that neither the face nor the
// transliteration table knows.
const Box = '\uFFFD'

// Ellipsis marks text cut to fit.
const Ellipsis = '…'

// Face is a monospaced bitmap font: every glyph advances the same width.
type Face struct {
	Name    string
	Advance int // horizontal distance between glyph origins
	Height  int // line height; glyph rows run from 0 to Height-1
	glyphs  map[rune]glyph
}

// glyph holds one bitmap row per line, bit (W-1-x) set for pixel x.
type glyph struct {
	w    int
	rows []uint16
}

// Has reports whether the face draws r itself.
func (f *Face) Has(r rune) bool {
	_, ok := f.glyphs[r]
	return ok
}

// Width is the pixel width of n glyphs.
func (f *Face) Width(n int) int { return n * f.Advance }

// Plotter is what a face draws on: one pixel at a time.
type Plotter interface {
	Plot(x, y int)
}

// Draw draws the runes of s with their top-left corner at (x, y), each pixel
// blown up to a scale×scale square, and returns the x after the last glyph.
// Runes the face lacks draw as Box; Draw never panics on any input.
func (f *Face) Draw(p Plotter, x, y int, s string, scale int) int {
	if scale < 1 {
		scale = 1
	}
	for _, r := range s {
		g, ok := f.glyphs[r]
		if !ok {
			g = f.glyphs[Box]
		}
		f.drawGlyph(p, x, y, g, scale)
		x += f.Advance * scale
	}
	return x
}

func (f *Face) drawGlyph(p Plotter, x, y int, g glyph, scale int) {
	for row, bits := range g.rows {
		for col := 0; col < g.w; col++ {
			if bits&(1<<(g.w-1-col)) == 0 {
				continue
			}
			for dy := 0; dy < scale; dy++ {
				for dx := 0; dx < scale; dx++ {
					p.Plot(x+col*scale+dx, y+row*scale+dy)
				}
			}
		}
	}
}

// Small is a 5×8 face (6 pixels advance, 8 pixel lines): 21 characters across
// a 128 pixel panel. Rows 0–6 hold capitals, row 7 descenders.
var Small = sync.OnceValue(func() *Face {
	f := &Face{Name: "small5x8", Advance: 6, Height: 8, glyphs: make(map[rune]glyph, len(small5x8))}
	for r, art := range small5x8 {
		f.glyphs[r] = parseArt(art)
	}
	return f
})

// Digits is the small face's digits without the slash through zero, for
// the count drawn large: a slashed zero blown up reads as "Ø".
var Digits = sync.OnceValue(func() *Face {
	f := &Face{Name: "digits5x7", Advance: 6, Height: 8, glyphs: make(map[rune]glyph, 16)}
	for _, r := range "0123456789+?" {
		f.glyphs[r] = Small().glyphs[r]
	}
	f.glyphs['0'] = parseArt(".###. #...# #...# #...# #...# #...# .###.")
	f.glyphs[Box] = Small().glyphs[Box]
	return f
})

// parseArt reads rows of '#' (on) and '.' (off) separated by spaces.
func parseArt(art string) glyph {
	rows := strings.Fields(art)
	g := glyph{w: 5, rows: make([]uint16, len(rows))}
	for i, row := range rows {
		g.w = len(row)
		for _, c := range row {
			g.rows[i] <<= 1
			if c == '#' {
				g.rows[i] |= 1
			}
		}
	}
	return g
}

// Medium is the X11 misc-fixed 7×13 face of golang.org/x/image/font/basicfont
// (ASCII plus U+FFFD), with the small face's ellipsis added.
var Medium = sync.OnceValue(func() *Face {
	src := basicfont.Face7x13
	f := &Face{Name: "fixed7x13", Advance: src.Advance, Height: src.Height, glyphs: make(map[rune]glyph, 97)}
	for r := rune(0x20); r < 0x7f; r++ {
		f.glyphs[r] = fromBasic(src, r)
	}
	f.glyphs[Box] = parseArt(boxArt7x13)
	f.glyphs[Ellipsis] = parseArt(ellipsisArt7x13)
	return f
})

func fromBasic(src *basicfont.Face, r rune) glyph {
	dot := fixed.P(0, src.Ascent)
	dr, mask, mp, _, _ := src.Glyph(dot, r)
	a := image.NewAlpha(image.Rect(0, 0, src.Width, src.Height))
	draw.Draw(a, dr, mask, mp, draw.Src)
	g := glyph{w: src.Width, rows: make([]uint16, src.Height)}
	for y := 0; y < src.Height; y++ {
		for x := 0; x < src.Width; x++ {
			g.rows[y] <<= 1
			if a.AlphaAt(x, y).A >= 0x80 {
				g.rows[y] |= 1
			}
		}
	}
	return g
}

const boxArt7x13 = "...... ...... ###### #....# #....# #....# #....# #....# #....# #....# ###### ...... ......"

const ellipsisArt7x13 = "...... ...... ...... ...... ...... ...... ...... ...... ...... ...... #.#.#. ...... ......"
