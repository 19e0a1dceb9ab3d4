package display

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"

	"periph.io/x/conn/v3/i2c"
	"periph.io/x/devices/v3/ssd1306/image1bit"
)

// SH1106 drives the SH1106 controller of most 1.3" 128×64 modules over
// I²C. It differs from the SSD1306 in what matters here: 132 columns of RAM
// of which the panel shows 2–129, and page addressing only (each page is
// sent with its own page and column address).
type SH1106 struct {
	dev    i2c.Dev
	rect   image.Rectangle
	shown  []byte // what the RAM holds, VerticalLSB order
	next   *image1bit.VerticalLSB
	fresh  bool // nothing drawn yet: send every page
	halted bool
}

const sh1106ColumnOffset = 2

// NewSH1106 initialises an SH1106 panel. Only 128×64 exists.
func NewSH1106(bus i2c.Bus, cfg DriverConfig) (*SH1106, error) {
	if cfg.Panel != Panel128x64 {
		return nil, fmt.Errorf("%w: sh1106 panels are 128x64", ErrConfig)
	}
	r := image.Rectangle{Max: cfg.Panel.Size()}
	d := &SH1106{
		dev:   i2c.Dev{Bus: bus, Addr: cfg.addr()},
		rect:  r,
		shown: make([]byte, r.Dx()*r.Dy()/8),
		next:  image1bit.NewVerticalLSB(r),
		fresh: true,
	}
	if err := d.command(sh1106Init(cfg.Rotate180)...); err != nil {
		return nil, fmt.Errorf("display: sh1106 init at %#x: %w", cfg.addr(), err)
	}
	return d, nil
}

// sh1106Init follows the SH1106 datasheet's command table; values are the
// power-on defaults except contrast (full) and the remaps.
func sh1106Init(rotate180 bool) []byte {
	seg, com := byte(0xA1), byte(0xC8) // column 0 on the right, COM scan from 63
	if rotate180 {
		seg, com = 0xA0, 0xC0
	}
	return []byte{
		0xAE,       // display off
		0xD5, 0x80, // display clock: divide ratio 1, oscillator +15%
		0xA8, 0x3F, // multiplex ratio 64
		0xD3, 0x00, // display offset 0
		0x40,       // display start line 0
		0xAD, 0x8B, // DC-DC converter on
		seg,        // segment remap
		com,        // COM output scan direction
		0xDA, 0x12, // COM pads: alternative
		0x81, 0xFF, // contrast
		0xD9, 0x22, // pre-charge 2 DCLKs, discharge 2 DCLKs
		0xDB, 0x35, // VCOM deselect level 0.77×Vref
		0x32, // charge pump 8.0 V
		0xA4, // show RAM
		0xA6, // normal, not inverted
		0xAF, // display on
	}
}

func (d *SH1106) String() string { return fmt.Sprintf("sh1106{%s}", &d.dev) }

// ColorModel implements display.Drawer.
func (d *SH1106) ColorModel() color.Model { return image1bit.BitModel }

// Bounds implements display.Drawer.
func (d *SH1106) Bounds() image.Rectangle { return d.rect }

// Draw implements display.Drawer: it sends the pages that changed.
func (d *SH1106) Draw(r image.Rectangle, src image.Image, sp image.Point) error {
	draw.Src.Draw(d.next, r, src, sp)
	w := d.rect.Dx()
	for page := 0; page < d.rect.Dy()/8; page++ {
		want := d.next.Pix[page*w : (page+1)*w]
		have := d.shown[page*w : (page+1)*w]
		if !d.fresh && bytes.Equal(want, have) {
			continue
		}
		if err := d.writePage(page, want); err != nil {
			return err
		}
		copy(have, want)
	}
	d.fresh = false
	return nil
}

func (d *SH1106) writePage(page int, pix []byte) error {
	col := sh1106ColumnOffset
	if err := d.command(0xB0|byte(page), byte(col&0x0F), 0x10|byte(col>>4)); err != nil {
		return err
	}
	return d.dev.Tx(append([]byte{i2cData}, pix...), nil)
}

// SetContrast sets the segment current, 0–255.
func (d *SH1106) SetContrast(level byte) error { return d.command(0x81, level) }

// Halt turns the panel off; the next command turns it back on.
func (d *SH1106) Halt() error {
	if err := d.command(0xAE); err != nil {
		return err
	}
	d.halted = true
	return nil
}

// command sends a command stream, waking the panel first if it was halted.
func (d *SH1106) command(c ...byte) error {
	w := append([]byte{i2cCommand}, c...)
	if d.halted {
		w = append([]byte{i2cCommand, 0xAF}, c...)
	}
	if err := d.dev.Tx(w, nil); err != nil {
		return err
	}
	d.halted = false
	return nil
}

// I²C control bytes (Co=0): the rest of the transaction is commands, or
// display RAM data.
const (
	i2cCommand = 0x00
	i2cData    = 0x40
)
