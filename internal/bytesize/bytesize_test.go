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

func TestShort(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0B", 999: "999B", 1000: "1.0k", 1500: "1.5k", 9_960: "10k", 930_000: "930k", 999_600: "1.0M",
		3_300_000_000: "3.3G", 77_000_000_000: "77G", 12_000_000_000_000: "12T",
	} {
		got := Short(n)
		if got != want || len(got) > 4 {
			t.Errorf("Short(%d) = %q, want %q (at most 4 characters)", n, got, want)
		}
		if h := Human(n); n >= 1000 && h[:len(h)-3] != got[:len(got)-1] && n != 9_960 && n != 999_600 {
			t.Errorf("Short(%d) = %q disagrees with Human's %q", n, got, h)
		}
	}
}
