package font

import (
	"image"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClean(t *testing.T) {
	tests := []struct{ in, small, medium string }{
		{"Alice", "Alice", "Alice"},
		{"  Zoë\tBrontë \n", "Zoe Bronte", "Zoe Bronte"},
		{"Straße – “hi”", "Strasse - \"hi\"", "Strasse - \"hi\""},
		{"Łódź Ærø", "Lodz AEro", "Lodz AEro"},
		{"Дмитрий Щукин", "Dmitrij Shchukin", "Dmitrij Shchukin"},
		{"Σοφία", "Sofia", "Sofia"},
		{"王小明", "\uFFFD\uFFFD\uFFFD", "\uFFFD\uFFFD\uFFFD"},
		{"ok 👍🏽!", "ok \uFFFD!", "ok \uFFFD!"},
		{"e\u0301\u200d", "e", "e"},
		{"bad\xff\xfeutf8", "bad\uFFFD\uFFFDutf8", "bad\uFFFD\uFFFDutf8"},
		{"ﬁne Ｆull", "fine Full", "fine Full"},
		{"wait…", "wait…", "wait…"},
	}
	for _, tt := range tests {
		if got := Clean(Small(), tt.in); got != tt.small {
			t.Errorf("Clean(Small, %q) = %q, want %q", tt.in, got, tt.small)
		}
		if got := Clean(Medium(), tt.in); got != tt.medium {
			t.Errorf("Clean(Medium, %q) = %q, want %q", tt.in, got, tt.medium)
		}
	}
}

func TestCleanCapsInput(t *testing.T) {
	got := Clean(Small(), strings.Repeat("x", 1<<20))
	if utf8.RuneCountInString(got) != MaxInput {
		t.Errorf("Clean kept %d runes of a 1 MiB string, want %d", len(got), MaxInput)
	}
}

func TestFit(t *testing.T) {
	f := Small() // 6 px per glyph
	tests := []struct {
		in    string
		width int
		want  string
	}{
		{"Alice", 30, "Alice"},
		{"Alice", 29, "Ali…"},
		{"ab cdef", 24, "ab…"},
		{"anything", 5, ""},
	}
	for _, tt := range tests {
		if got := Fit(f, tt.in, tt.width); got != tt.want {
			t.Errorf("Fit(%q, %d) = %q, want %q", tt.in, tt.width, got, tt.want)
		}
	}
}

type grid map[image.Point]bool

func (g grid) Plot(x, y int) { g[image.Pt(x, y)] = true }

func TestDrawGlyphs(t *testing.T) {
	g := grid{}
	end := Small().Draw(g, 10, 20, "L", 2)
	if end != 22 {
		t.Errorf("Draw returned x=%d, want 22", end)
	}
	// 'L' at scale 2: a 2-pixel-wide stem from y=20 to y=33 and a
	// bottom bar 10 pixels wide at y=32..33.
	for y := 20; y < 34; y++ {
		if !g[image.Pt(10, y)] || !g[image.Pt(11, y)] || g[image.Pt(12, y)] && y < 32 {
			t.Fatalf("stem wrong at y=%d", y)
		}
	}
	for x := 10; x < 20; x++ {
		if !g[image.Pt(x, 33)] {
			t.Fatalf("bar missing at x=%d", x)
		}
	}
	if len(g) != 2*2*(7+4) {
		t.Errorf("drew %d pixels, want %d", len(g), 2*2*(7+4))
	}
}

func TestEveryGlyphWellFormed(t *testing.T) {
	for _, f := range []*Face{Small(), Medium()} {
		if !f.Has(Box) || !f.Has(Ellipsis) {
			t.Errorf("%s lacks box or ellipsis", f.Name)
		}
		for r := rune(0x20); r < 0x7f; r++ {
			g, ok := f.glyphs[r]
			if !ok {
				t.Errorf("%s lacks %q", f.Name, r)
				continue
			}
			if g.w >= f.Advance || len(g.rows) > f.Height {
				t.Errorf("%s %q is %dx%d, cell is %dx%d", f.Name, r, g.w, len(g.rows), f.Advance, f.Height)
			}
		}
	}
	for r, art := range small5x8 {
		for _, row := range strings.Fields(art) {
			if len(row) != 5 {
				t.Errorf("small %q has a row of width %d", r, len(row))
			}
		}
	}
}
