package adapt

import (
	"errors"
	"path"
	"strings"

	"github.com/homemmsc/homemmsc/internal/mms"
)

// fit returns a copy of conf whose pictures are made small enough for
// the whole to encode within limit (see the package documentation).
// size is conf's encoded size; fit returns the adapted message's.
func fit(conf *mms.Message, size, limit int) (*mms.Message, int, error) {
	var pictureBytes int
	for _, p := range pictures(conf.Parts) {
		pictureBytes += len(p.Data)
	}
	room := limit - (size - pictureBytes) - slack // what the pictures may take together
	for round := 0; round < maxRounds; round++ {
		if pictureBytes == 0 || room <= 0 {
			return nil, 0, ErrNoFit
		}
		out := *conf
		out.Parts = copyParts(conf.Parts)
		if err := shrinkAll(&out, room, pictureBytes); err != nil {
			return nil, 0, err
		}
		got := encodedSize(&out)
		if got <= limit {
			return &out, got, nil
		}
		room = room * limit / got * 19 / 20 // missed by got/limit: ask that much less, and a bit
	}
	return nil, 0, ErrNoFit
}

// shrinkAll gives each picture of m its share of room, in proportion to
// its size, and replaces it by a version that fits its share.
func shrinkAll(m *mms.Message, room, total int) error {
	renamed := map[string]string{}
	for _, p := range pictures(m.Parts) {
		share := int(int64(room) * int64(len(p.Data)) / int64(total))
		if len(p.Data) <= share {
			continue
		}
		data, media, err := shrink(p.Data, share)
		if errors.Is(err, ErrNoFit) {
			return err
		}
		if err != nil {
			continue // too many pixels, or not decodable: it stays as sent, and the message may still fit
		}
		p.Data = data
		if media != p.ContentType.MediaType {
			retype(p, media, renamed)
		}
	}
	if len(renamed) > 0 {
		renameInSMIL(m.Parts, renamed)
	}
	return nil
}

// pictures returns the leaf parts Fit may re-encode, in PDU order.
func pictures(parts []mms.Part) []*mms.Part {
	var out []*mms.Part
	for _, p := range mms.Leaves(parts) {
		if isPicture(p.ContentType.MediaType) {
			out = append(out, p)
		}
	}
	return out
}

func isPicture(t string) bool {
	switch strings.ToLower(t) {
	case "image/jpeg", "image/jpg", "image/pjpeg", "image/png", "image/gif":
		return true
	}
	return false
}

// copyParts copies the part tree, so that the copy's parts can be
// replaced without touching the original's; the data are shared until
// replaced.
func copyParts(parts []mms.Part) []mms.Part {
	out := append([]mms.Part(nil), parts...)
	for i := range out {
		if len(out[i].Parts) > 0 {
			out[i].Parts = copyParts(out[i].Parts)
		}
	}
	return out
}

// retype gives a picture re-encoded as another type its new media type
// and file names with the new extension, and records the renaming of its
// Content-Location for the SMIL.
func retype(p *mms.Part, media string, renamed map[string]string) {
	ext := ".jpg"
	p.ContentType = mms.ContentType{MediaType: media, Params: renameParams(p.ContentType.Params, "name", ext)}
	p.DispositionParams = renameParams(p.DispositionParams, "filename", ext)
	if p.ContentLocation != "" {
		n := withExt(p.ContentLocation, ext)
		renamed[p.ContentLocation] = n
		p.ContentLocation = n
	}
}

func renameParams(ps []mms.Param, name, ext string) []mms.Param {
	out := append([]mms.Param(nil), ps...)
	for i := range out {
		if out[i].Name == name {
			out[i].Value = withExt(out[i].Value, ext)
		}
	}
	return out
}

func withExt(name, ext string) string {
	return strings.TrimSuffix(name, path.Ext(name)) + ext
}

// renameInSMIL rewrites the src references to renamed Content-Locations
// in every SMIL part (a copy of its data: the original is not changed).
func renameInSMIL(parts []mms.Part, renamed map[string]string) {
	for i := range parts {
		p := &parts[i]
		if len(p.Parts) > 0 {
			renameInSMIL(p.Parts, renamed)
			continue
		}
		if !strings.EqualFold(p.ContentType.MediaType, "application/smil") {
			continue
		}
		s := string(p.Data)
		for old, n := range renamed {
			s = strings.ReplaceAll(s, `"`+old+`"`, `"`+n+`"`)
			s = strings.ReplaceAll(s, `'`+old+`'`, `'`+n+`'`)
		}
		p.Data = []byte(s)
	}
}
