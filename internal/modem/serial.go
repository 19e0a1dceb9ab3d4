package modem

import (
	"log/slog"

	"github.com/homemmsc/homemmsc/internal/modem/serialport"
)

// SerialConfig is the device for the -modem flag: a serial port's path,
// or "auto" to try serialport's candidates; pin is the SIM PIN.
func SerialConfig(spec, pin string, log *slog.Logger) DeviceConfig {
	return DeviceConfig{
		Path: spec, Open: serialport.Open, Candidates: serialport.Candidates,
		Session: Config{PIN: pin}, Logger: log,
	}
}
