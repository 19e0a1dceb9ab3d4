package mms

// Leaves returns the parts that hold content, in PDU order, the entries
// of nested multiparts in place of the multipart: what a reader shows,
// a backup keeps or an e-mail attaches. The pointers are into parts.
func Leaves(parts []Part) []*Part {
	var out []*Part
	for i := range parts {
		if p := &parts[i]; len(p.Parts) > 0 {
			out = append(out, Leaves(p.Parts)...)
		} else {
			out = append(out, p)
		}
	}
	return out
}
