package display

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"periph.io/x/devices/v3/ssd1306/image1bit"
)

var update = flag.Bool("update", false, "rewrite the golden PNGs under testdata/")

var testNow = time.Date(2026, 11, 26, 19, 30, 0, 0, time.UTC)

// healthy is an appliance with nothing wrong and nothing received.
func healthy() Status {
	return Status{
		Now:         testNow,
		Modem:       &Modem{Registered: true, Signal: 3},
		ModemWanted: true,
		Addr:        "192.168.1.20:8080",
		FreeBytes:   3_300_000_000,
		ClockSynced: true,
	}
}

func goldenCases() map[string]Status {
	c := map[string]Status{}
	c["idle"] = healthy()

	one := healthy()
	one.New = 1
	one.Last = &Message{Sender: "Anna", Subject: "Photo from the beach", Received: testNow.Add(-5 * time.Minute), TimeOK: true}
	c["one-new"] = one

	many := healthy()
	many.New = 27
	many.Modem.Outbox = 2
	many.Last = &Message{Sender: "+491701234567", Subject: "Re: dinner", Received: testNow.Add(-3 * time.Hour), TimeOK: true}
	c["27-new"] = many

	long := healthy()
	long.New = 3
	long.Last = &Message{
		Sender:   "Maximilian Alexander von Hohenzollern-Sigmaringen",
		Subject:  "This subject is far too long to fit on any small OLED screen at all",
		Received: testNow.Add(-26 * time.Hour), TimeOK: true,
	}
	c["long"] = long

	nonLatin := healthy()
	nonLatin.New = 2
	nonLatin.Last = &Message{Sender: "Дмитрий Łukasz 王", Subject: "Grüße aus Köln 👋 — 你好", Received: testNow.Add(-40 * time.Second), TimeOK: true}
	c["non-latin"] = nonLatin

	noModem := healthy()
	noModem.Modem = nil
	noModem.New = 1
	noModem.Last = one.Last
	c["modem-absent"] = noModem

	full := healthy()
	full.DiskFull = true
	full.FreeBytes = 12_000_000
	full.New = 5
	full.Last = one.Last
	c["disk-full"] = full

	quota := healthy()
	quota.QuotaFull = true
	quota.New = 1
	quota.Last = &Message{Sender: "+15557654321", Claimed: true, Subject: "hi", Received: testNow.Add(-5 * time.Minute), TimeOK: true}
	c["quota-full"] = quota

	setup := healthy()
	setup.SetupCode = "482173"
	c["setup-code"] = setup

	clock := healthy()
	clock.ClockSynced = false
	clock.Modem = &Modem{Registered: false, Signal: -1}
	clock.New = 1
	clock.Last = &Message{Sender: "Anna", Subject: "hi", Received: time.Unix(60, 0), TimeOK: false}
	c["clock-not-synced"] = clock

	reachable := healthy()
	reachable.Net = NetOK
	reachable.New = 1
	reachable.Last = one.Last
	c["net-ok"] = reachable

	cgnat := healthy()
	cgnat.Net, cgnat.NetTrouble = NetDown, "CGNAT"
	cgnat.New = 1
	cgnat.Last = one.Last
	c["cgnat"] = cgnat
	return c
}

func TestRenderGolden(t *testing.T) {
	for name, st := range goldenCases() {
		for _, p := range []Panel{Panel128x64, Panel128x32} {
			t.Run(name+"/"+p.String(), func(t *testing.T) {
				got := Render(st, p)
				path := filepath.Join("testdata", fmt.Sprintf("%s-%s.png", name, p))
				if *update {
					writeGolden(t, path, got)
				}
				want := readGolden(t, path)
				if diff := diffBits(got, want); diff != "" {
					t.Errorf("Render differs from %s (run go test -update and look at it):\n%s", path, diff)
				}
			})
		}
	}
}

func writeGolden(t *testing.T, path string, img *image1bit.VerticalLSB) {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, toGray(img, 0xff)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readGolden(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// diffBits compares a rendered frame with a golden image pixel by pixel and
// draws the first differing rows.
func diffBits(got *image1bit.VerticalLSB, want image.Image) string {
	if got.Bounds() != want.Bounds() {
		return fmt.Sprintf("size %v, want %v", got.Bounds(), want.Bounds())
	}
	var b strings.Builder
	for y := 0; y < got.Rect.Dy(); y++ {
		row, bad := rowArt(got, want, y)
		if bad {
			fmt.Fprintf(&b, "y=%2d %s\n", y, row)
		}
	}
	return b.String()
}

func rowArt(got *image1bit.VerticalLSB, want image.Image, y int) (string, bool) {
	var b strings.Builder
	bad := false
	for x := 0; x < got.Rect.Dx(); x++ {
		g := bool(got.BitAt(x, y))
		w := color.GrayModel.Convert(want.At(x, y)).(color.Gray).Y >= 0x80
		switch {
		case g == w && g:
			b.WriteByte('#')
		case g == w:
			b.WriteByte('.')
		case g:
			b.WriteByte('+') // lit, should be dark
		default:
			b.WriteByte('-') // dark, should be lit
		}
		bad = bad || g != w
	}
	return b.String(), bad
}

func TestRenderNeverPanics(t *testing.T) {
	hostile := []string{"", "\x00\x01\x02", strings.Repeat("\u200d", 5000), strings.Repeat("W", 100000), "\xff\xfe\xfd", "e\u0301\u0301\u0301"}
	for _, s := range hostile {
		for _, n := range []int{-1, 0, 9, 99, 999, 1000, 1 << 30} {
			st := healthy()
			st.New = n
			st.Addr = s
			st.StoreError = s
			st.Modem.Outbox = n
			st.Modem.Signal = n
			st.FreeBytes = int64(n) << 20
			st.Last = &Message{Sender: s, Subject: s, Received: time.Time{}, TimeOK: true}
			for _, p := range []Panel{Panel128x64, Panel128x32} {
				if img := Render(st, p); img.Rect.Size() != p.Size() {
					t.Fatalf("Render made %v for %v", img.Rect, p)
				}
			}
		}
	}
}

func TestAgo(t *testing.T) {
	tests := []struct {
		d    time.Duration
		ok   bool
		want string
	}{
		{10 * time.Second, true, "now"},
		{5 * time.Minute, true, "5m"},
		{59 * time.Minute, true, "59m"},
		{3 * time.Hour, true, "3h"},
		{47 * time.Hour, true, "47h"},
		{72 * time.Hour, true, "3d"},
		{-2 * time.Minute, true, "?"},
		{time.Hour, false, "?"},
	}
	for _, tt := range tests {
		m := &Message{Received: testNow.Add(-tt.d), TimeOK: tt.ok}
		if got := ago(testNow, m); got != tt.want {
			t.Errorf("ago(%v, ok=%v) = %q, want %q", tt.d, tt.ok, got, tt.want)
		}
	}
}

// FuzzRender: no sender, subject, address or count makes Render panic.
func FuzzRender(f *testing.F) {
	for _, st := range goldenCases() {
		if st.Last != nil {
			f.Add(st.Last.Sender, st.Last.Subject, st.Addr, st.New)
		}
	}
	f.Add("\xff\x00", strings.Repeat("é", 300), "", -5)
	f.Fuzz(func(t *testing.T, sender, subject, addr string, n int) {
		st := healthy()
		st.New, st.Addr = n, addr
		st.Last = &Message{Sender: sender, Subject: subject, Received: testNow, TimeOK: true}
		for _, p := range []Panel{Panel128x64, Panel128x32} {
			Render(st, p)
		}
	})
}

// TestNoBannerWithoutModemConfigured: an appliance run without -modem
// shows the quiet "x" mark, not the NO MODEM banner, which is for a
// configured modem that went away.
func TestNoBannerWithoutModemConfigured(t *testing.T) {
	st := healthy()
	st.Modem, st.ModemWanted = nil, false
	if tr := st.trouble(); len(tr) != 0 {
		t.Fatalf("trouble without a configured modem = %q, want none", tr)
	}
	if m := marks(st); len(m) == 0 || m[0].text != "x" {
		t.Fatalf("first mark = %+v, want x", m)
	}
	st.ModemWanted = true
	if tr := st.trouble(); len(tr) != 1 || tr[0] != "NO MODEM" {
		t.Fatalf("trouble with a configured, absent modem = %q, want NO MODEM", tr)
	}
}
