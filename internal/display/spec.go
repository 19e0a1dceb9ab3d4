package display

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Spec is a parsed -display setting.
type Spec struct {
	Kind   string // "none", "i2c" or "png"
	Path   string // for png
	Driver DriverConfig
}

// ParseSpec reads -display (none, i2c, ssd1306, sh1106, png:PATH) and the
// panel's -display-addr (0x3c or 0x3d), -display-size and -display-rotate
// (0 or 180). Errors name the flag.
func ParseSpec(spec, addr, size string, rotate int) (Spec, error) {
	s := Spec{Kind: "none"}
	panel, err := ParsePanel(size)
	if err != nil {
		return s, fmt.Errorf("-display-size: %w", err)
	}
	a, err := strconv.ParseUint(addr, 0, 16)
	if err != nil || (a != 0x3C && a != 0x3D) {
		return s, fmt.Errorf("-display-addr %q: want 0x3c or 0x3d", addr)
	}
	if rotate != 0 && rotate != 180 {
		return s, fmt.Errorf("-display-rotate %d: want 0 or 180", rotate)
	}
	s.Driver = DriverConfig{Panel: panel, Addr: uint16(a), Rotate180: rotate == 180}
	switch path, isPNG := strings.CutPrefix(spec, "png:"); {
	case spec == "" || spec == "none":
	case isPNG && path != "":
		s.Kind, s.Path = "png", path
	case spec == "i2c" || spec == "ssd1306":
		s.Kind, s.Driver.Controller = "i2c", ControllerSSD1306
	case spec == "sh1106":
		s.Kind, s.Driver.Controller = "i2c", ControllerSH1106
	default:
		return s, fmt.Errorf("-display %q: want none, i2c (ssd1306), sh1106 or png:PATH", spec)
	}
	if s.Kind == "i2c" && s.Driver.Controller == ControllerSH1106 && panel != Panel128x64 {
		return s, errors.New("-display sh1106: only 128x64 panels exist")
	}
	return s, nil
}
