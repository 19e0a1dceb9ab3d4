package smil

import (
	"slices"
	"testing"

	"github.com/homemmsc/homemmsc/internal/mms"
)

func part(ct, cid, loc string) *mms.Part {
	return &mms.Part{ContentType: mms.ContentType{MediaType: ct}, ContentID: cid, ContentLocation: loc}
}

// TestOrder plays the parts as the SMIL says: by cid:, by
// Content-Location and by name; unmentioned parts (the SMIL among them)
// follow in PDU order.
func TestOrder(t *testing.T) {
	s := part("application/smil", "<smil>", "smil.xml")
	s.Data = []byte(`<smil><body><par><text src="t.txt"/><img src="cid:img1"/></par>` +
		`<par><audio src="Voice.AMR"/><img src="missing.jpg"/></par></body></smil>`)
	audio := part("audio/amr", "", "")
	audio.ContentType.Params = []mms.Param{{Name: "name", Value: "voice.amr"}}
	parts := []*mms.Part{s, part("image/jpeg", "<img1>", "a.jpg"), part("text/plain", "", "t.txt"), audio, part("text/x-vcard", "", "c.vcf")}
	got, ok := Order(parts)
	if want := []int{2, 1, 3, 0, 4}; !ok || !slices.Equal(got, want) {
		t.Fatalf("Order = %v %v, want %v", got, ok, want)
	}
}

// TestOrderWithoutSMIL keeps PDU order, and so does a SMIL that names
// nothing present or does not parse.
func TestOrderWithoutSMIL(t *testing.T) {
	parts := []*mms.Part{part("image/jpeg", "", "a.jpg"), part("text/plain", "", "b.txt")}
	if got, ok := Order(parts); ok || !slices.Equal(got, []int{0, 1}) {
		t.Errorf("no SMIL: %v %v", got, ok)
	}
	bad := part("application/smil", "", "")
	bad.Data = []byte("<smil><body><par><img src=")
	if got, ok := Order(append([]*mms.Part{bad}, parts...)); ok || !slices.Equal(got, []int{0, 1, 2}) {
		t.Errorf("broken SMIL: %v %v", got, ok)
	}
}

func TestSourcesCapped(t *testing.T) {
	var b []byte
	b = append(b, "<smil><body>"...)
	for i := 0; i < MaxRefs+50; i++ {
		b = append(b, `<par><img src="x.jpg"/></par>`...)
	}
	if n := len(Sources(b)); n != MaxRefs {
		t.Errorf("%d sources, want the cap %d", n, MaxRefs)
	}
}
