package golden

import (
	"bytes"
	"testing"
)

func TestDumpParseRoundTrip(t *testing.T) {
	for _, b := range [][]byte{nil, {0}, []byte("hello, world, sixteen+"), bytes.Repeat([]byte{0x8c, 0x80, 0x98, 'T'}, 20)} {
		got, err := Parse(Dump(b))
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("round trip of % x: % x, %v", b, got, err)
		}
	}
	d := string(Dump([]byte("\x8c\x80\x98T-1\x00")))
	if want := "00000000  8c 80 98 54 2d 31 00                              |...T-1.|\n"; d != want {
		t.Errorf("Dump = %q, want %q", d, want)
	}
}

func TestParseChecksOffsetsAndSkipsComments(t *testing.T) {
	good := "# an M-Send.conf\n00000000  8c 81  |..|\n\n00000002  98  |.|\n"
	if b, err := Parse([]byte(good)); err != nil || !bytes.Equal(b, []byte{0x8c, 0x81, 0x98}) {
		t.Errorf("Parse = % x, %v", b, err)
	}
	for _, bad := range []string{"00000001  8c\n", "00000000  zz\n", "00000000\n"} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}
