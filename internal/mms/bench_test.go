package mms

import (
	"math/rand/v2"
	"testing"
)

// sendReq300K builds an M-Send.req of about 300 KB as an iPhone sends it:
// insert-address From, a PLMN recipient, multipart/related with a SMIL, a
// JPEG-sized image part and a text part.
func sendReq300K(tb testing.TB) []byte {
	img := make([]byte, 295<<10)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range img {
		img[i] = byte(r.Uint32())
	}
	m := &Message{
		Type: TypeSendReq, TransactionID: "1262957356-3", Version: Version12,
		From:    Address{Insert: true},
		To:      []Address{PLMN("+15557654321"), PLMN("+15550001111")},
		Subject: Text("Bench ✓"),
		ContentType: ContentType{MediaType: MediaMultipartRelated, Params: []Param{
			{"type", MediaSMIL}, {"start", "0.smil"}}},
		Parts: []Part{
			{ContentType: ContentType{MediaType: MediaSMIL, Params: []Param{{"name", "0.smil"}}}, ContentID: "0.smil", Data: []byte(smil)},
			{ContentType: ContentType{MediaType: "image/jpeg", Params: []Param{{"name", "IMG_6807.jpg"}}}, ContentID: "1", ContentLocation: "IMG_6807.jpg", Data: img},
			{ContentType: ContentType{MediaType: "text/plain", Params: []Param{{"charset", "utf-8"}}}, ContentID: "2", ContentLocation: "text.txt", Data: []byte("Hello from the bench")},
		},
	}
	b, err := m.Encode()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// BenchmarkDecode decodes a 300 KB M-Send.req; the target is ≥ 1 GB/s
// (part data is not copied).
func BenchmarkDecode(b *testing.B) {
	pdu := sendReq300K(b)
	b.SetBytes(int64(len(pdu)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(pdu); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncode encodes the same message, as an MMSC building an
// M-Retrieve.conf does.
func BenchmarkEncode(b *testing.B) {
	m, err := Decode(sendReq300K(b))
	if err != nil {
		b.Fatal(err)
	}
	m.Type = TypeRetrieveConf
	dst := make([]byte, 0, 400<<10)
	b.SetBytes(int64(len(m.Parts[1].Data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.AppendEncode(dst[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

func TestSendReq300K(t *testing.T) {
	b := sendReq300K(t)
	if len(b) < 290<<10 || len(b) > 310<<10 {
		t.Errorf("bench PDU is %d octets, want about 300 KB", len(b))
	}
	m, err := Decode(b)
	if err != nil || len(m.Parts) != 3 || len(m.Parts[1].Data) != 295<<10 {
		t.Fatalf("bench PDU decodes to %v, %v", m, err)
	}
	roundTrip(t, m)
}
