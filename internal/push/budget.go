package push

// The byte budget of one WAP-push SMS; see the package documentation.
const (
	userData  = 140 // TP-UD octets of an 8-bit SMS (23.040 §9.2.3.16)
	udhl      = 1   // the UDH length octet
	portIE    = 6   // 05 04 <dst 2> <src 2> (23.040 §9.2.3.24.4)
	concatIE  = 6   // 08 04 <ref 2> <total> <seq> (23.040 §9.2.3.24.8)
	wspHeader = 6   // <tid> 06 03 BE AF 84 (WAP-230-WSP §8.2.4.1)

	// OneSegment is the largest MMS PDU whose push fits one SMS.
	OneSegment = userData - udhl - portIE - wspHeader
	// perPart is what each part of a concatenated push carries of the
	// WSP header and the MMS PDU.
	perPart = userData - udhl - portIE - concatIE
)

// Segments is how many SMS the push of an MMS PDU of n octets takes.
func Segments(n int) int {
	if n <= OneSegment {
		return 1
	}
	return (n + wspHeader + perPart - 1) / perPart
}
