package bytesize

import "testing"

func TestHuman(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0 B", 999: "999 B", 1000: "1.0 kB", 1500: "1.5 kB", 930_000: "930 kB",
		1_400_000_000: "1.4 GB", 29_000_000_000_000: "29 TB", 5_000_000_000_000_000: "5000 TB",
	} {
		if got := Human(n); got != want {
			t.Errorf("Human(%d) = %q, want %q", n, got, want)
		}
	}
}
