package display

import (
	"fmt"

	"periph.io/x/conn/v3/display"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/devices/v3/ssd1306"
)

// Screen is what the drawing loop needs of a panel: periph's display.Drawer
// (Draw and Halt, which blanks it until the next Draw) plus contrast.
// *ssd1306.Dev, *SH1106 and *PNGWriter are Screens.
type Screen interface {
	display.Drawer
	SetContrast(level byte) error
}

// Controller names an OLED controller chip.
type Controller string

// Supported controllers.
const (
	ControllerSSD1306 Controller = "ssd1306" // 128×64 and 128×32 modules (0.96", 0.91")
	ControllerSH1106  Controller = "sh1106"  // most 1.3" 128×64 modules
)

// DriverConfig describes a panel on an I²C bus. The zero value is an
// SSD1306 128×64 at 0x3C, upright.
type DriverConfig struct {
	Controller Controller // if empty, SSD1306
	Panel      Panel
	Addr       uint16 // if zero, 0x3C; modules with the address jumper moved use 0x3D
	Rotate180  bool   // the module is mounted upside down
}

func (c DriverConfig) addr() uint16 {
	if c.Addr == 0 {
		return 0x3C
	}
	return c.Addr
}

// OpenI2C initialises the panel on bus and returns it ready to draw.
func OpenI2C(bus i2c.Bus, cfg DriverConfig) (Screen, error) {
	if a := cfg.addr(); a != 0x3C && a != 0x3D {
		return nil, fmt.Errorf("%w: I2C address %#x (SSD1306/SH1106 answer at 0x3c or 0x3d)", ErrConfig, a)
	}
	switch cfg.Controller {
	case "", ControllerSSD1306:
		return openSSD1306(bus, cfg)
	case ControllerSH1106:
		return NewSH1106(bus, cfg)
	}
	return nil, fmt.Errorf("%w: controller %q (want ssd1306 or sh1106)", ErrConfig, cfg.Controller)
}

func openSSD1306(bus i2c.Bus, cfg DriverConfig) (*ssd1306.Dev, error) {
	size := cfg.Panel.Size()
	opts := ssd1306.Opts{
		W: size.X, H: size.Y,
		// 128×32 modules wire the COM pins sequentially (0xDA 0x02).
		Sequential:       size.Y == 32,
		MirrorVertical:   cfg.Rotate180,
		MirrorHorizontal: cfg.Rotate180,
	}
	// periph's NewI2C always talks to 0x3C; addrBus moves it.
	d, err := ssd1306.NewI2C(addrBus{Bus: bus, addr: cfg.addr()}, &opts)
	if err != nil {
		return nil, fmt.Errorf("display: ssd1306 init at %#x: %w", cfg.addr(), err)
	}
	return d, nil
}

// addrBus sends every transaction to one address.
type addrBus struct {
	i2c.Bus
	addr uint16
}

func (b addrBus) Tx(_ uint16, w, r []byte) error { return b.Bus.Tx(b.addr, w, r) }
