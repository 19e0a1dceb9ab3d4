package modem

// Bars maps +CSQ rssi (0-31, -1 unknown) to 0-4 bars, as a phone shows
// signal; -1 when unknown.
func Bars(rssi int) int {
	switch {
	case rssi < 0:
		return -1
	case rssi < 2:
		return 0
	case rssi < 10:
		return 1
	case rssi < 15:
		return 2
	case rssi < 20:
		return 3
	}
	return 4
}
