package display

import (
	"image"
	"strconv"
	"strings"

	"periph.io/x/devices/v3/ssd1306/image1bit"

	"github.com/homemmsc/homemmsc/internal/display/font"
)

// canvas draws on a 1-bit image; ink is the colour it plots with.
type canvas struct {
	img *image1bit.VerticalLSB
	ink image1bit.Bit
}

func (c canvas) Plot(x, y int) { c.img.SetBit(x, y, c.ink) }

func (c canvas) fill(r image.Rectangle) {
	r = r.Intersect(c.img.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c.img.SetBit(x, y, c.ink)
		}
	}
}

// text draws s cleaned for f and cut to width, and returns the x after it.
func (c canvas) text(f *font.Face, x, y, width int, s string) int {
	return f.Draw(c, x, y, font.Fit(f, font.Clean(f, s), width), 1)
}

// Render draws st for panel p. It is pure: the same Status always gives the
// same pixels, and no input makes it fail.
func Render(st Status, p Panel) *image1bit.VerticalLSB {
	img := image1bit.NewVerticalLSB(image.Rectangle{Max: p.Size()})
	c := canvas{img: img, ink: image1bit.On}
	if p == Panel128x32 {
		render32(c, st)
	} else {
		render64(c, st)
	}
	return img
}

// render64 lays out a 128×64 panel:
//
//	y  0– 7  marks: signal, registration, outbox, clock, disk free
//	y 10–37  the count of new messages (28 px digits) | sender, how long ago
//	y 40–52  the subject, or the trouble banner in reverse video
//	y 56–63  the address phones send to
func render64(c canvas, st Status) {
	small, medium := font.Small(), font.Medium()
	drawMarks(c, 0, 0, 128, st)
	right := drawCount(c, 0, 10, 48, 28, st.New) + 6
	drawLast(c, right, 10, 128-right, st, medium, 14)
	if t := st.trouble(); len(t) > 0 {
		banner(c, medium, image.Rect(0, 40, 128, 53), t)
	} else if st.Last != nil {
		c.text(medium, 0, 40, 128, subject(st.Last))
	}
	c.text(small, 0, 56, 128, address(st))
}

// render32 lays out a 128×32 panel:
//
//	y  0–20  the count of new messages (21 px digits) | marks, sender, how long ago
//	y 24–31  the address phones send to, or the trouble banner (from y 23)
func render32(c canvas, st Status) {
	small := font.Small()
	right := drawCount(c, 0, 1, 40, 21, st.New) + 4
	drawMarks(c, right, 0, 128-right, st)
	drawLast(c, right, 8, 128-right, st, small, 8)
	if t := st.trouble(); len(t) > 0 {
		banner(c, small, image.Rect(0, 23, 128, 32), t)
		return
	}
	c.text(small, 0, 24, 128, address(st))
}

// drawCount draws n in the largest scale of the small face whose digits fit
// in w×h, and returns the x right of the digits.
func drawCount(c canvas, x, y, w, h, n int) int {
	s := countText(n)
	f := font.Digits()
	for scale := h / 7; scale >= 1; scale-- {
		width := len(s)*f.Advance*scale - scale // no gap after the last digit
		if width <= w || scale == 1 {
			return f.Draw(c, x, y, s, scale) - scale
		}
	}
	return x
}

func countText(n int) string {
	switch {
	case n < 0:
		return "?"
	case n > 999:
		return "999+"
	}
	return strconv.Itoa(n)
}

// drawLast draws the newest message's sender in face f and, gap pixels
// below, how long ago it came (and its subject when the panel has no room
// for a subject line of its own).
func drawLast(c canvas, x, y, w int, st Status, f *font.Face, gap int) {
	small := font.Small()
	if st.Last == nil {
		c.text(small, x, y+gap, w, "no messages")
		return
	}
	c.text(f, x, y, w, st.Last.Sender)
	when := ago(st.Now, st.Last)
	switch {
	case when == "?":
		when = "time?" // stamped before the clock was synchronised
	case when != "now" && !st.Last.Claimed:
		when += " ago"
	}
	if st.Last.Claimed { // on its own line: a long number would cut a mark after it
		when = "claimed " + when
	}
	if f == small { // 128×32: subject follows the time
		when += " " + subject(st.Last)
	}
	c.text(small, x, y+gap, w, when)
}

func subject(m *Message) string {
	if strings.TrimSpace(m.Subject) == "" {
		return "(no subject)"
	}
	return m.Subject
}

func address(st Status) string {
	if st.Addr == "" {
		return "no network address"
	}
	return st.Addr
}

// banner fills r and writes the troubles in it in reverse video.
func banner(c canvas, f *font.Face, r image.Rectangle, troubles []string) {
	c.fill(r)
	s := font.Fit(f, strings.Join(troubles, " / "), r.Dx()-2)
	x := r.Min.X + (r.Dx()-f.Width(len([]rune(s))))/2
	y := r.Min.Y + (r.Dy()-f.Height+1)/2
	f.Draw(canvas{img: c.img, ink: image1bit.Off}, x, y, s, 1)
}
