package deliver

import (
	"fmt"
	"mime"
	"strings"
	"time"

	"github.com/homemmsc/homemmsc/internal/mms"
)

// retrieveConf builds the M-Retrieve.conf (OMA-MMS-ENC §6.3) that
// delivers a stored M-Send.req, written for the strictest clients:
//
//   - Message-Type, Transaction-Id, MMS-Version first (the encoder's
//     order), then Message-ID, Date, From, To, Cc, Subject, and
//     Content-Type last;
//   - From is the sender the MMSC identified, never the insert-address
//     token;
//   - Subject is re-encoded as UTF-8 whatever charset the sender used;
//   - a multipart/related body gets start and type naming its SMIL part,
//     whose Content-ID is made to match exactly; without a SMIL part the
//     body is sent as multipart/mixed;
//   - every part gets a Content-Location;
//   - no X-Mms-Retrieve-Status on success: old mmsd versions refuse a
//     header above 0x18 they do not know.
//
// The parts' data are the sender's, byte for byte.
func retrieveConf(req *mms.Message, from, tid, messageID string, date time.Time) *mms.Message {
	var fa mms.Address
	if from != "" {
		fa = mms.PLMN(from)
	}
	c := mms.NewRetrieveConf(req, fa, tid, messageID, date)
	if fa.Value.Raw == nil && (c.From.Insert || c.From.Value.Raw == nil) {
		c.From = mms.Address{} // unknown sender: no From rather than a token
	}
	c.Version = mms.Version12
	c.Subject = mms.Text(req.Subject.Text())
	if req.Subject.Raw == nil {
		c.Subject = mms.EncodedString{}
	}
	c.Parts = append([]mms.Part(nil), req.Parts...)
	if c.ContentType.IsMultipart() {
		c.ContentType = fixStart(c.ContentType, c.Parts)
		locations(c.Parts)
	}
	return c
}

const (
	mediaRelated = "application/vnd.wap.multipart.related"
	mediaMixed   = "application/vnd.wap.multipart.mixed"
	mediaSMIL    = "application/smil"
)

// fixStart returns the content type of the message with start and type
// naming the SMIL part exactly (WAP-230-WSP §8.4.2.24, RFC 2387), giving
// that part a Content-ID when it has none. Parts are changed in place.
func fixStart(ct mms.ContentType, parts []mms.Part) mms.ContentType {
	smil := -1
	for i := range parts {
		if strings.EqualFold(parts[i].ContentType.MediaType, mediaSMIL) {
			smil = i
			break
		}
	}
	out := mms.ContentType{MediaType: ct.MediaType}
	for _, p := range ct.Params {
		if p.Name != "start" && p.Name != "type" {
			out.Params = append(out.Params, p)
		}
	}
	if smil < 0 {
		if out.MediaType == mediaRelated {
			out.MediaType = mediaMixed
		}
		return out
	}
	id := parts[smil].ContentID
	if id == "" {
		id = uniqueID(parts, "smil")
	}
	if !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, ">") {
		id = "<" + strings.Trim(id, "<>") + ">"
	}
	parts[smil].ContentID = id
	out.MediaType = mediaRelated
	out.Params = append(out.Params, mms.Param{Name: "start", Value: id}, mms.Param{Name: "type", Value: mediaSMIL})
	return out
}

func uniqueID(parts []mms.Part, base string) string {
	id := base
	for n := 2; hasID(parts, id); n++ {
		id = fmt.Sprintf("%s%d", base, n)
	}
	return id
}

func hasID(parts []mms.Part, id string) bool {
	for _, p := range parts {
		if strings.Trim(p.ContentID, "<>") == id {
			return true
		}
	}
	return false
}

// locations gives every part a Content-Location: its file name, or
// "partN" with the extension of its type. Clients match SMIL src=
// references against it and save attachments under it.
func locations(parts []mms.Part) {
	for i := range parts {
		p := &parts[i]
		if p.ContentLocation != "" {
			continue
		}
		name := safeName(p.Filename())
		if name == "" {
			name = fmt.Sprintf("part%d%s", i+1, extension(p.ContentType.MediaType))
		}
		p.ContentLocation = name
	}
}

// safeName keeps a file name's printable ASCII, without path separators.
func safeName(s string) string {
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		s = s[i+1:]
	}
	s = strings.Map(func(r rune) rune {
		if r <= ' ' || r >= 0x7F || r == '"' {
			return -1
		}
		return r
	}, s)
	return clip(s, 64)
}

func extension(mediaType string) string {
	switch mediaType {
	case "text/plain":
		return ".txt"
	case mediaSMIL:
		return ".smil"
	case "image/jpeg":
		return ".jpg"
	}
	exts, _ := mime.ExtensionsByType(mediaType)
	if len(exts) > 0 {
		return exts[0]
	}
	return ""
}

// notFoundText is the text of the gone-message answer, for clients that
// show the body despite the status.
const notFoundText = "This message is no longer available."

// notFoundConf is the M-Retrieve.conf for a URL with no message behind
// it (wrong, expired, rejected or deleted): X-Mms-Retrieve-Status
// Error-permanent-message-not-found (0xE2, OMA-MMS-ENC §7.3.50), with a
// one-line text part. Phones get it with HTTP 200: an HTTP error makes
// some retry for ever.
func notFoundConf(date time.Time) *mms.Message {
	return &mms.Message{
		Type:           mms.TypeRetrieveConf,
		Version:        mms.Version12,
		Date:           date,
		RetrieveStatus: mms.RetrievePermanentMessageNotFound,
		RetrieveText:   mms.Text("message not found"),
		ContentType:    mms.ContentType{MediaType: mediaMixed},
		Parts:          []mms.Part{textPart(notFoundText)},
	}
}

// textPart is a UTF-8 text/plain part named text.txt.
func textPart(text string) mms.Part {
	return mms.Part{
		ContentType:     mms.ContentType{MediaType: "text/plain", Params: []mms.Param{{Name: "charset", Value: "utf-8"}}},
		ContentLocation: "text.txt",
		Data:            []byte(text),
	}
}
