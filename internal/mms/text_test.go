package mms

import (
	"testing"
)

func TestEncodedStringText(t *testing.T) {
	for _, tc := range []struct {
		name string
		cs   Charset
		raw  string
		want string
	}{
		{"no charset", 0, "Hej", "Hej"},
		{"utf-8", CharsetUTF8, "\xC3\xA5", "å"},
		{"utf-8 BOM dropped", CharsetUTF8, "\xEF\xBB\xBFx", "x"},
		{"utf-8 invalid", CharsetUTF8, "a\xFFb", "a\uFFFDb"},
		{"us-ascii holding utf-8", CharsetUSASCII, "\xC3\xA5", "å"},
		{"latin-1", CharsetLatin1, "\xE5\xE4\xF6", "åäö"},
		{"iso-8859-7", 10, "\xE1\xE2\xE3", "αβγ"},
		{"iso-8859-15 euro", 111, "\xA4", "€"},
		{"windows-1251", 2251, "\xCF\xE8\xF2\xE5\xF0", "Питер"},
		{"shift_jis", 17, "\x82\xA0", "あ"},
		{"big5", 2026, "\xA4\xA4", "中"},
		{"euc-kr", 38, "\xC7\xD1", "한"},
		{"utf-16 BOM BE", CharsetUTF16, "\xFE\xFF\x00H\x00i", "Hi"},
		{"utf-16 BOM LE", CharsetUTF16, "\xFF\xFEH\x00i\x00", "Hi"},
		{"utf-16 no BOM is BE", CharsetUTF16, "\x00H\x00i", "Hi"},
		{"utf-16 surrogate pair", CharsetUTF16, "\xD8\x3D\xDE\x08", "😈"},
		{"utf-16 lone surrogate", CharsetUTF16, "\xD8\x3D\x00a", "\uFFFDa"},
		{"utf-16 odd length", CharsetUTF16, "\x00H\x00", "H\uFFFD"},
		{"ucs-2", CharsetUCS2, "\x04\x1F", "П"},
		{"utf-16le", 1014, "i\x00", "i"},
		{"unknown charset as utf-8", 9999, "ok", "ok"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := EncodedString{Charset: tc.cs, Raw: []byte(tc.raw)}.Text()
			if got != tc.want {
				t.Errorf("Text() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestAddress(t *testing.T) {
	for _, tc := range []struct {
		addr   Address
		kind   AddressKind
		number string
	}{
		{PLMN("+15551234567"), KindPLMN, "+15551234567"},
		{Address{Value: EncodedString{Raw: []byte("0738345664/type=plmn")}}, KindPLMN, "0738345664"},
		{Address{Value: EncodedString{Raw: []byte("+1 (555) 123-4567/TYPE=PLMN")}}, KindPLMN, "+15551234567"},
		{Address{Value: EncodedString{Raw: []byte("12+3/TYPE=PLMN")}}, KindPLMN, ""},
		{Address{Value: EncodedString{Raw: []byte("abc/TYPE=PLMN")}}, KindPLMN, ""},
		{Address{Value: EncodedString{Raw: []byte("/TYPE=PLMN")}}, KindPLMN, ""},
		{Address{Value: EncodedString{Raw: []byte("10.0.0.1/TYPE=IPv4")}}, KindIPv4, ""},
		{Address{Value: EncodedString{Raw: []byte("::1/TYPE=IPv6")}}, KindIPv6, ""},
		{Address{Value: EncodedString{Raw: []byte("a@example.org")}}, KindEmail, ""},
		{Address{Value: EncodedString{Raw: []byte("x/TYPE=foo")}}, KindUnknown, ""},
		{Address{Value: EncodedString{Raw: []byte("Jg")}}, KindUnknown, ""},
		{Address{Insert: true}, KindInsert, ""},
	} {
		if k := tc.addr.Kind(); k != tc.kind {
			t.Errorf("%q.Kind() = %v, want %v", tc.addr, k, tc.kind)
		}
		n, ok := tc.addr.Number()
		if n != tc.number || ok != (tc.number != "") {
			t.Errorf("%q.Number() = %q, %v, want %q", tc.addr, n, ok, tc.number)
		}
	}
}

func TestStrings(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{TypeSendReq.String(), "m-send-req"},
		{TypeDeliveryInd.String(), "m-delivery-ind"},
		{MessageType(0x20).String(), "0x20"},
		{Version12.String(), "1.2"},
		{Version10.String(), "1.0"},
		{Version(0x1F).String(), "1"},
		{StatusOk.String(), "Ok"},
		{StatusErrMessageFormatCorrupt.String(), "Error-message-format-corrupt"},
		{CharsetUTF8.String(), "utf-8"},
		{Charset(77777).String(), "mib-77777"},
		{KindPLMN.String(), "PLMN"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestReplyVersion(t *testing.T) {
	for in, want := range map[Version]Version{0: Version10, Version10: Version10, Version11: Version10, Version12: Version12, Version13: Version12, 0x1F: Version12} {
		if got := ReplyVersion(in); got != want {
			t.Errorf("ReplyVersion(%v) = %v, want %v", in, got, want)
		}
	}
}

func TestPartFilenameAndText(t *testing.T) {
	for _, tc := range []struct {
		p    Part
		want string
	}{
		{Part{DispositionParams: []Param{{"filename", "a.jpg"}}, ContentType: ContentType{Params: []Param{{"name", "b.jpg"}}}}, "a.jpg"},
		{Part{ContentType: ContentType{Params: []Param{{"name", "b.jpg"}}}, ContentLocation: "c.jpg"}, "b.jpg"},
		{Part{ContentLocation: "c.jpg", ContentID: "<d>"}, "c.jpg"},
		{Part{ContentID: "<d.jpg>"}, "d.jpg"},
		{Part{ContentID: "1"}, "1"},
	} {
		if got := tc.p.Filename(); got != tc.want {
			t.Errorf("Filename() = %q, want %q", got, tc.want)
		}
	}
	p := Part{ContentType: ContentType{MediaType: "text/plain", Params: []Param{{"charset", "ISO-8859-1"}}}, Data: []byte("h\xE4j")}
	if got := p.Text(); got != "häj" {
		t.Errorf("Text() = %q", got)
	}
	p = Part{ContentType: ContentType{MediaType: "text/plain"}, Data: []byte("h\xC3\xA4j")}
	if got := p.Text(); got != "häj" {
		t.Errorf("Text() without charset = %q", got)
	}
}
