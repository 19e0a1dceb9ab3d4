package display

import (
	"github.com/homemmsc/homemmsc/internal/bytesize"
	"github.com/homemmsc/homemmsc/internal/display/font"
)

// mark is one item of the marks line: text, or the signal bars when bars
// is true.
type mark struct {
	text  string
	bars  int  // signal bars plus one, when text is empty
	right bool // flush right
}

const barsWidth = 11 // four 2 px bars, 1 px apart

// marks lists the status marks, most important first:
//
//	bars  signal strength (a dot per missing bar; sig? unknown; x no modem)
//	R / R?   registered on a network / not registered
//	↑2    two messages waiting in the modem's outbox
//	CLK?  the clock is not synchronised yet
//	NET   phones on the internet reach the MMSC (NET? not yet known, NET! they cannot)
//	3.1G  free space for the store
func marks(st Status) []mark {
	var m []mark
	if st.Modem == nil {
		m = append(m, mark{text: "x"})
	} else {
		if st.Modem.Signal < 0 {
			m = append(m, mark{text: "sig?"})
		} else {
			m = append(m, mark{bars: min(st.Modem.Signal, 4) + 1})
		}
		if st.Modem.Registered {
			m = append(m, mark{text: "R"})
		} else {
			m = append(m, mark{text: "R?"})
		}
		if st.Modem.Outbox > 0 {
			m = append(m, mark{text: "↑" + countText(st.Modem.Outbox)})
		}
	}
	if !st.ClockSynced {
		m = append(m, mark{text: "CLK?"})
	}
	if t := [...]string{NetUnknown: "NET?", NetOK: "NET", NetDown: "NET!"}[st.Net]; t != "" {
		m = append(m, mark{text: t})
	}
	if st.FreeBytes >= 0 {
		m = append(m, mark{text: bytesize.Short(st.FreeBytes), right: true})
	}
	return m
}

func (m mark) width(f *font.Face) int {
	if m.text == "" {
		return barsWidth
	}
	return f.Width(len([]rune(m.text)))
}

// drawMarks draws as many marks as fit in w pixels, one space apart; disk
// free goes to the right edge.
func drawMarks(c canvas, x, y, w int, st Status) {
	f := font.Small()
	ms := marks(st)
	for len(ms) > 0 && total(ms, f) > w {
		ms = ms[:len(ms)-1]
	}
	end := x + w
	for _, m := range ms {
		if m.right {
			x = end - m.width(f)
		}
		if m.text != "" {
			f.Draw(c, x, y, m.text, 1)
		} else {
			drawBars(c, x, y, m.bars-1)
		}
		x += m.width(f) + f.Advance
	}
}

func total(ms []mark, f *font.Face) int {
	t := 0
	for i, m := range ms {
		if i > 0 {
			t += f.Advance
		}
		t += m.width(f)
	}
	return t
}

// drawBars draws n of four signal bars (heights 2, 3, 5, 7 px, bottom on
// row 6); an unlit bar is a dot on the baseline.
func drawBars(c canvas, x, y, n int) {
	heights := []int{2, 3, 5, 7}
	for i, h := range heights {
		bx := x + i*3
		if i >= n {
			h = 1
		}
		for dy := 0; dy < h; dy++ {
			c.Plot(bx, y+6-dy)
			c.Plot(bx+1, y+6-dy)
		}
	}
}
