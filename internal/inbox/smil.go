package inbox

import (
	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/smil"
)

// smilOrder returns the leaves in the order the message's SMIL
// presentation plays them, then every leaf it does not mention (the SMIL
// itself among them) in PDU order: no part is ever dropped. It reports
// whether a SMIL gave the order (internal/smil).
func smilOrder(ls []leaf) ([]leaf, bool) {
	parts := make([]*mms.Part, len(ls))
	for i := range ls {
		parts[i] = ls[i].Part
	}
	idx, ok := smil.Order(parts)
	out := make([]leaf, len(idx))
	for i, j := range idx {
		out[i] = ls[j]
	}
	return out, ok
}
