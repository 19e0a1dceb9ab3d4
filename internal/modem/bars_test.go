package modem

import "testing"

func TestBars(t *testing.T) {
	for rssi, want := range map[int]int{-1: -1, 0: 0, 1: 0, 5: 1, 12: 2, 17: 3, 20: 4, 31: 4} {
		if got := Bars(rssi); got != want {
			t.Errorf("Bars(%d) = %d, want %d", rssi, got, want)
		}
	}
}
