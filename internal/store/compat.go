package store

// Stand-ins for codec functions that have not landed yet in internal/mms
// (EncodedString.Text, Address.String, Version.String, Decode). They are
// replaced by the codec's own as soon as it provides them.

import (
	"errors"
	"fmt"
	"strings"

	"github.com/homemmsc/homemmsc/internal/mms"
)

func textOf(es mms.EncodedString) string {
	switch es.Charset {
	case mms.CharsetLatin1:
		var b strings.Builder
		for _, c := range es.Raw {
			b.WriteRune(rune(c))
		}
		return b.String()
	default:
		return string(es.Raw)
	}
}

func addrOf(a mms.Address) string { return textOf(a.Value) }

func versionOf(v mms.Version) string {
	if v == 0 {
		return ""
	}
	return fmt.Sprintf("%d.%d", v>>4&0x7, v&0xf)
}

var errNoDecoder = errors.New("store: no PDU decoder configured")

func noDecoder([]byte) (*mms.Message, error) { return nil, errNoDecoder }
