package mmsc

import (
	"testing"

	"github.com/homemmsc/homemmsc/internal/mms"
)

// TestStatusTable pins the status table of the package doc: the MMS 1.0
// codes, which mmsd-tng, AOSP and mms-engine all take for failures.
func TestStatusTable(t *testing.T) {
	for o, want := range map[outcome]mms.ResponseStatus{
		outStored: 0x80, outCorrupt: 0x83, outUnsupported: 0x88, outTooLarge: 0x87,
		outNoSender: 0x84, outNotAllowed: 0x82, outForbidden: 0x82,
	} {
		if got := status(o); got != want {
			t.Errorf("status(%v) = %#x, want %#x", o, got, want)
		}
	}
}

func TestPeek(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want peeked
	}{
		{"empty", nil, peeked{}},
		{"4 bytes", []byte{0x8C, 0x80, 0x98, 'T'}, peeked{typ: mms.TypeSendReq}},
		{"all three", append(append([]byte{0x8C, 0x80, 0x98}, "abc\x00"...), 0x8D, 0x92, 0x89),
			peeked{typ: mms.TypeSendReq, tid: "abc", version: mms.Version12}},
		{"quoted tid", append([]byte{0x8C, 0x84, 0x98, 0x7F}, "\xC3\xA9\x00\x8D\x90"...),
			peeked{typ: mms.TypeRetrieveConf, tid: "\xC3\xA9", version: mms.Version10}},
		{"empty tid stops", []byte{0x8C, 0x80, 0x98, 0x00, 0x8D, 0x92}, peeked{typ: mms.TypeSendReq}},
		{"control char in tid", []byte{0x8C, 0x80, 0x98, 'a', 0x01, 0x00}, peeked{typ: mms.TypeSendReq}},
		{"version not short-int", []byte{0x8C, 0x80, 0x8D, 0x12}, peeked{typ: mms.TypeSendReq}},
		{"garbage", []byte("<html>"), peeked{}},
	}
	for _, tt := range tests {
		if got := peek(tt.in); got != tt.want {
			t.Errorf("%s: peek = %+v, want %+v", tt.name, got, tt.want)
		}
	}
	long := append([]byte{0x8C, 0x80, 0x98}, make([]byte, maxPeekTID+10)...)
	for i := 3; i < len(long); i++ {
		long[i] = 'x'
	}
	if got := peek(append(long, 0)); got.tid != "" {
		t.Errorf("overlong tid echoed: %d bytes", len(got.tid))
	}
}
