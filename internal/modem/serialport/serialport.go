// Package serialport opens a modem's serial port with go.bug.st/serial and
// lists the ports where a modem may be. It is the only place that touches
// real serial hardware; everything else takes an io.ReadWriter.
//
// USB modems expose several ttyUSB/ttyACM interfaces; only one or two
// answer AT commands, and their numbers change when the modem is
// re-plugged or reset (gammu#323, #552). The stable names are the links
// under /dev/serial/by-id, which name the vendor, the product and the
// interface (…-if00-port0). Candidates lists those first, known modem
// vendors first and lower interface numbers first, then the bare
// /dev/ttyUSB* and /dev/ttyACM* devices that no link points to.
//
// # Specs
//
//   - ITU-T V.250 (serial AT command interface)
//   - Linux udev persistent serial names (/dev/serial/by-id)
package serialport

import (
	"io"
	"path/filepath"
	"sort"
	"strings"

	"go.bug.st/serial"
)

// Open opens path at 115200 8N1. USB modems ignore the speed.
func Open(path string) (io.ReadWriteCloser, error) {
	return serial.Open(path, &serial.Mode{BaudRate: 115200, DataBits: 8, Parity: serial.NoParity, StopBits: serial.OneStopBit})
}

// vendors whose by-id names mark a modem, best first.
var vendors = [...]string{"huawei", "zte", "quectel", "simcom", "sierra", "telit", "u-blox", "fibocom", "alcatel", "longcheer", "qualcomm", "option"}

// Candidates lists the ports to probe for a modem, best first.
func Candidates() []string { return candidates("/dev") }

func candidates(dev string) []string {
	links, _ := filepath.Glob(filepath.Join(dev, "serial", "by-id", "*"))
	sort.SliceStable(links, func(i, j int) bool { return rank(links[i]) < rank(links[j]) })
	seen := make(map[string]bool)
	var out []string
	for _, l := range links {
		if target, err := filepath.EvalSymlinks(l); err == nil {
			seen[target] = true
		}
		out = append(out, l)
	}
	for _, pat := range []string{"ttyUSB*", "ttyACM*"} {
		devs, _ := filepath.Glob(filepath.Join(dev, pat))
		sort.Strings(devs)
		for _, d := range devs {
			if !seen[d] {
				out = append(out, d)
			}
		}
	}
	return out
}

// rank orders by-id links: known modem vendors first, then interface
// number (if00 before if02).
func rank(link string) int {
	name := strings.ToLower(filepath.Base(link))
	r := len(vendors) * 100
	for i, v := range vendors {
		if strings.Contains(name, v) {
			r = i * 100
			break
		}
	}
	if i := strings.LastIndex(name, "-if"); i >= 0 && i+5 <= len(name) {
		var n int
		for _, c := range name[i+3 : i+5] {
			n = n*10 + int(c-'0')
		}
		r += min(max(n, 0), 99)
	}
	return r
}
