package display

import (
	"errors"
	"image"
	"testing"

	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/devices/v3/ssd1306/image1bit"
)

// ssd1306Init is the init sequence written out from the SSD1306 datasheet
// (rev 1.1: §9 command table, §10 command descriptions, the charge pump
// appendix for 0x8D and the software initialization flow chart), not
// recorded from the driver. The first byte
// is the I²C control byte: Co=0, D/C#=0, a stream of commands (§8.1.5.2).
func ssd1306Init(h byte, comPins byte, seg, com byte) []byte {
	return []byte{
		0x00,       // control byte: commands follow
		0xAE,       // §10.1.12 display OFF
		0xD3, 0x00, // §10.1.15 display offset 0
		0x40,          // §10.1.6 display start line 0
		seg,           // §10.1.8 segment re-map (0xA1: column 127 is SEG0)
		com,           // §10.1.14 COM scan direction (0xC8: remapped)
		0xDA, comPins, // §10.1.18 COM pins: 0x12 alternative (64 rows), 0x02 sequential (32 rows)
		0x81, 0xFF, // §10.1.7 contrast 255
		0xA4,       // §10.1.9 output follows RAM
		0xA6,       // §10.1.10 normal display
		0xD5, 0xF0, // §10.1.16 clock divide 1, fastest oscillator
		0x8D, 0x14, // charge pump on (application note, §2.1)
		0xD9, 0xF1, // §10.1.17 pre-charge phase 1 = 1, phase 2 = 15 DCLKs
		0xDB, 0x40, // §10.1.19 VCOMH deselect level (0x40: above 0.83×Vcc, as Adafruit and periph use)
		0x2E,        // §10.2.3 deactivate scroll
		0xA8, h - 1, // §10.1.11 multiplex ratio = rows
		0x20, 0x00, // §10.1.3 horizontal addressing mode
		0x21, 0x00, 0x7F, // §10.1.4 column address 0–127
		0x22, 0x00, h/8 - 1, // §10.1.5 page address 0–last
		0xAF, // §10.1.12 display ON
	}
}

// pageWrite is one page of a frame: set the page and start column (§10.1.1–2,
// §10.1.13), then a data transaction (control byte 0x40: D/C#=1).
func pageWrite(addr uint16, page, col byte, data []byte) []i2ctest.IO {
	return []i2ctest.IO{
		{Addr: addr, W: []byte{0x00, 0xB0 | page, col & 0x0F, 0x10 | col>>4}},
		{Addr: addr, W: append([]byte{0x40}, data...)},
	}
}

// testFrame lights (5,10) and the whole of row 63 from x=0 to 7.
func testFrame(h int) *image1bit.VerticalLSB {
	img := image1bit.NewVerticalLSB(image.Rect(0, 0, 128, h))
	img.SetBit(5, 10, image1bit.On)
	for x := 0; x < 8; x++ {
		img.SetBit(x, h-1, image1bit.On)
	}
	return img
}

// testFramePages is testFrame in SSD1306 RAM order worked out by hand: a
// page is 8 rows, a byte one column of a page, bit 0 the top row (§8.7).
func testFramePages(addr uint16, h int) []i2ctest.IO {
	var ops []i2ctest.IO
	for page := 0; page < h/8; page++ {
		data := make([]byte, 128)
		if page == 1 {
			data[5] = 1 << (10 - 8) // (5,10): page 1, bit 2
		}
		if page == h/8-1 {
			for x := 0; x < 8; x++ {
				data[x] = 0x80 // last row: bit 7 of the last page
			}
		}
		ops = append(ops, pageWrite(addr, byte(page), 0, data)...)
	}
	return ops
}

func TestSSD1306InitAndFrame(t *testing.T) {
	tests := []struct {
		name string
		cfg  DriverConfig
		init []byte
	}{
		{"128x64 at 0x3c", DriverConfig{}, ssd1306Init(64, 0x12, 0xA1, 0xC8)},
		{"128x32 at 0x3d", DriverConfig{Panel: Panel128x32, Addr: 0x3D}, ssd1306Init(32, 0x02, 0xA1, 0xC8)},
		{"128x64 rotated", DriverConfig{Rotate180: true}, ssd1306Init(64, 0x12, 0xA0, 0xC0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := tt.cfg.addr()
			h := tt.cfg.Panel.Size().Y
			ops := []i2ctest.IO{{Addr: addr, W: tt.init}}
			ops = append(ops, testFramePages(addr, h)...)
			// A second frame differing in one pixel sends one byte:
			// page 0, column 127, bit 0.
			ops = append(ops, pageWrite(addr, 0, 127, []byte{0x01})...)
			bus := &i2ctest.Playback{Ops: ops, DontPanic: true}

			s, err := OpenI2C(bus, tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			frame := testFrame(h)
			if err := s.Draw(frame.Rect, frame, image.Point{}); err != nil {
				t.Fatal(err)
			}
			frame.SetBit(127, 0, image1bit.On)
			if err := s.Draw(frame.Rect, frame, image.Point{}); err != nil {
				t.Fatal(err)
			}
			if err := bus.Close(); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestSSD1306ContrastAndHalt(t *testing.T) {
	bus := &i2ctest.Playback{DontPanic: true, Ops: []i2ctest.IO{
		{Addr: 0x3C, W: ssd1306Init(64, 0x12, 0xA1, 0xC8)},
		{Addr: 0x3C, W: []byte{0x00, 0x81, 0x10}}, // §10.1.7 contrast 16
		{Addr: 0x3C, W: []byte{0x00, 0xAE}},       // display off
		{Addr: 0x3C, W: []byte{0x00, 0xAF, 0x81, 0xFF}},
	}}
	s, err := OpenI2C(bus, DriverConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []func() error{
		func() error { return s.SetContrast(0x10) },
		s.Halt,
		func() error { return s.SetContrast(0xFF) }, // wakes the panel first
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	if err := bus.Close(); err != nil {
		t.Error(err)
	}
}

func TestSH1106InitAndFrame(t *testing.T) {
	init := []byte{0x00, 0xAE, 0xD5, 0x80, 0xA8, 0x3F, 0xD3, 0x00, 0x40, 0xAD, 0x8B, 0xA1, 0xC8,
		0xDA, 0x12, 0x81, 0xFF, 0xD9, 0x22, 0xDB, 0x35, 0x32, 0xA4, 0xA6, 0xAF}
	ops := []i2ctest.IO{{Addr: 0x3D, W: init}}
	// Every page starts at RAM column 2: the panel shows columns 2–129 of
	// the SH1106's 132.
	for _, op := range testFramePages(0x3D, 64) {
		if op.W[0] == 0x00 {
			op.W = []byte{0x00, op.W[1], 0x02, 0x10}
		}
		ops = append(ops, op)
	}
	// The second frame resends only the page that changed, whole.
	page0 := make([]byte, 128)
	page0[127] = 0x01
	ops = append(ops, pageWrite(0x3D, 0, 2, page0)...)
	ops = append(ops, i2ctest.IO{Addr: 0x3D, W: []byte{0x00, 0xAE}}, i2ctest.IO{Addr: 0x3D, W: []byte{0x00, 0xAF, 0x81, 0x20}})
	bus := &i2ctest.Playback{Ops: ops, DontPanic: true}

	s, err := OpenI2C(bus, DriverConfig{Controller: ControllerSH1106, Addr: 0x3D})
	if err != nil {
		t.Fatal(err)
	}
	frame := testFrame(64)
	if err := s.Draw(frame.Rect, frame, image.Point{}); err != nil {
		t.Fatal(err)
	}
	frame.SetBit(127, 0, image1bit.On)
	if err := s.Draw(frame.Rect, frame, image.Point{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Draw(frame.Rect, frame, image.Point{}); err != nil { // unchanged: no I/O
		t.Fatal(err)
	}
	if err := s.Halt(); err != nil {
		t.Fatal(err)
	}
	if err := s.SetContrast(0x20); err != nil {
		t.Fatal(err)
	}
	if err := bus.Close(); err != nil {
		t.Error(err)
	}
}

func TestOpenI2CRejectsBadConfig(t *testing.T) {
	for _, cfg := range []DriverConfig{
		{Addr: 0x50},
		{Controller: "ili9341"},
		{Controller: ControllerSH1106, Panel: Panel128x32},
	} {
		bus := &i2ctest.Playback{DontPanic: true}
		if _, err := OpenI2C(bus, cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("OpenI2C(%+v) = %v, want ErrConfig", cfg, err)
		}
		if bus.Count != 0 {
			t.Errorf("OpenI2C(%+v) talked to the bus", cfg)
		}
	}
}

func TestOpenI2CReportsBusError(t *testing.T) {
	bus := &i2ctest.Playback{DontPanic: true} // no device answers
	if _, err := OpenI2C(bus, DriverConfig{}); err == nil {
		t.Error("OpenI2C with nothing on the bus succeeded")
	}
}
