// Package bytesize writes byte counts for people: "0 B", "930 kB",
// "4.1 MB", "1.4 GB", in SI units (1 kB = 1000 bytes, as disk makers and
// phones count), so a message reads the same size in the owner's SMS, the
// inbox, the display and systemctl status.
package bytesize

import "fmt"

// Human rounds a byte count for people: 0 B, 999 B, 1.5 kB, 930 kB,
// 1.4 GB; three significant digits at most, TB the largest unit.
func Human(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f, prefix := float64(n)/unit, 0
	for f >= unit && prefix < 3 {
		f /= unit
		prefix++
	}
	if f < 10 {
		return fmt.Sprintf("%.1f %cB", f, "kMGT"[prefix])
	}
	return fmt.Sprintf("%.0f %cB", f, "kMGT"[prefix])
}

// Short writes a byte count in at most four characters, for the OLED's
// free-space mark: "999B", "1.5k", "930k", "4.1M", "12G", in the same SI
// units as Human.
func Short(n int64) string {
	if n < 1000 {
		return fmt.Sprintf("%dB", n)
	}
	f, prefix := float64(n)/1000, 0
	for f >= 999.5 && prefix < 3 {
		f /= 1000
		prefix++
	}
	if f < 9.95 {
		return fmt.Sprintf("%.1f%c", f, "kMGT"[prefix])
	}
	return fmt.Sprintf("%.0f%c", f, "kMGT"[prefix])
}
