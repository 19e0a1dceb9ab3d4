package inbox

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/homemmsc/homemmsc/internal/bytesize"
	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/store"
)

// maxInlineText is how much of a text part the message page shows; the
// whole part stays a download away.
const maxInlineText = 64 << 10

// leaf is one part that holds content: a top-level part, or an entry of
// a multipart nested in one. Path addresses it in URLs: "2" is the third
// top-level part, "2.0" the first entry inside it.
type leaf struct {
	Path string
	Part *mms.Part
	File string // its file name on the page, as a download and in a backup (nameLeaves)
}

// loadMessage reads and decodes a stored message.
func (h *Handler) loadMessage(id string) (store.Meta, *mms.Message, error) {
	meta, ok := h.cfg.Store.Get(id)
	if !ok {
		return meta, nil, store.ErrNotFound
	}
	_, msg, err := h.readPDU(id)
	return meta, msg, err
}

// readPDU reads message id's stored PDU and decodes it. The PDU is
// returned even when it does not decode; msg is nil then.
func (h *Handler) readPDU(id string) (pdu []byte, msg *mms.Message, err error) {
	return readPDU(h.cfg.Store, id)
}

// readPDU reads and decodes the PDU of id; an undecodable one comes
// back with its bytes and the decoding error.
func readPDU(st *store.Store, id string) (pdu []byte, msg *mms.Message, err error) {
	f, err := st.OpenPDU(id)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	pdu, err = io.ReadAll(io.LimitReader(f, store.MaxPDUSize+1))
	if err != nil {
		return nil, nil, err
	}
	msg, err = mms.Decode(pdu)
	if err != nil {
		return pdu, nil, fmt.Errorf("decode %s: %w", id, err)
	}
	return pdu, msg, nil
}

// leaves flattens the message's parts, nested multiparts included, in
// PDU order. Top-level parts keep the store's file names.
func leaves(meta store.Meta, msg *mms.Message) []leaf {
	var out []leaf
	var walk func(parts []mms.Part, prefix string)
	walk = func(parts []mms.Part, prefix string) {
		for i := range parts {
			p := &parts[i]
			path := prefix + strconv.Itoa(i)
			if len(p.Parts) > 0 {
				walk(p.Parts, path+".")
				continue
			}
			out = append(out, leaf{Path: path, Part: p, File: fileName(meta, path, p)})
		}
	}
	walk(msg.Parts, "")
	if len(msg.Parts) == 0 && len(msg.Body) > 0 { // a single-part message
		p := &mms.Part{ContentType: msg.ContentType, Data: msg.Body}
		out = append(out, leaf{Path: "body", Part: p, File: "body" + store.FileExt(p.ContentType.MediaType)})
	}
	nameLeaves(out)
	return out
}

// nameLeaves gives each leaf the one name it has everywhere: on the
// message page, as a download and in the backup zip. It is the sender's
// name for the part made safe, else the store's generated one, with
// "-2", "-3" ... added to a repeated name; the zip's own files
// (message.mms, meta.json) are taken.
func nameLeaves(ls []leaf) {
	taken := map[string]bool{"message.mms": true, "meta.json": true}
	for i := range ls {
		name := safeName(ls[i].Part.Filename())
		if name == "" {
			name = ls[i].File
		}
		ls[i].File = unique(taken, name)
	}
}

func fileName(meta store.Meta, path string, p *mms.Part) string {
	if i, err := strconv.Atoi(path); err == nil && i < len(meta.Parts) {
		return meta.Parts[i].File
	}
	return "part-" + strings.ReplaceAll(path, ".", "-") + store.FileExt(p.ContentType.MediaType)
}

// findLeaf returns the leaf at path.
func findLeaf(meta store.Meta, msg *mms.Message, path string) (leaf, bool) {
	for _, l := range leaves(meta, msg) {
		if l.Path == path {
			return l, true
		}
	}
	return leaf{}, false
}

// partView is one part on the message page.
type partView struct {
	Path, Kind, Type, Name, File, Size string
	URL, Download                      string
	Text                               string
	TextCut                            bool
}

type messageView struct {
	ID, Subject, Time, Size string
	From                    person
	Synced, Seen            bool
	To                      []person
	Parts                   []partView
	Ordered                 bool // the SMIL gave the order
	Source, UserAgent       string
	Delivery                []deliveryView // to paired phones (issue 7)
}

// deliveryView is one recipient's delivery state.
type deliveryView struct {
	To, Phone, State, Updated string
}

// deliveryViews are the recipients' states the deliverer recorded in the
// message's metadata.
func deliveryViews(ds []store.Delivery) []deliveryView {
	out := make([]deliveryView, 0, len(ds))
	for _, d := range ds {
		v := deliveryView{To: bareAddress(d.To), Phone: d.Phone, State: d.State}
		if !d.Updated.IsZero() {
			v.Updated = d.Updated.Local().Format("2006-01-02 15:04:05")
		}
		out = append(out, v)
	}
	return out
}

func (h *Handler) message(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	meta, msg, err := h.loadMessage(id)
	if err != nil {
		h.storeFail(w, r, err)
		return
	}
	if !meta.Seen { // opening a message is seeing it; the OLED count follows
		if err := h.cfg.Store.SetSeen(id, true); err != nil {
			h.log.Warn("inbox: mark seen", "id", id, "err", err)
		} else {
			meta.Seen = true
		}
	}
	ls := leaves(meta, msg)
	ordered, byOrder := smilOrder(ls)
	v := messageView{
		ID: meta.ID, From: h.senderOf(meta.Sender), Subject: meta.Subject,
		Time: meta.Received.Local().Format("2006-01-02 15:04:05"), Synced: meta.ClockSynced, Seen: meta.Seen,
		Size: bytesize.Human(meta.Size), To: h.recipients(meta.To), Ordered: byOrder, Source: meta.Sender.Source,
		UserAgent: meta.Hints["User-Agent"], Delivery: deliveryViews(meta.Delivery),
	}
	for _, l := range ordered {
		v.Parts = append(v.Parts, partViewOf(meta.ID, l))
	}
	h.render(w, r, http.StatusOK, "message", view{Title: subjectOr(meta.Subject), Nav: "inbox", Data: v})
}

func subjectOr(s string) string {
	if s == "" {
		return "(no subject)"
	}
	return s
}

func partViewOf(id string, l leaf) partView {
	ct := l.Part.ContentType.MediaType
	k := kindOf(ct)
	base := "/m/" + id + "/part/" + l.Path
	pv := partView{
		Path: l.Path, Kind: k.String(), Type: ct, Name: l.Part.Filename(), File: downloadName(l),
		Size: bytesize.Human(int64(len(l.Part.Data))), URL: base, Download: base + "?dl=1",
	}
	if k == kindText {
		t := l.Part.Text()
		if len(t) > maxInlineText {
			t, pv.TextCut = strings.ToValidUTF8(t[:maxInlineText], ""), true
		}
		pv.Text = t
	}
	return pv
}

// storeFail answers a store error: not found, or a failure to report.
func (h *Handler) storeFail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalidID) {
		h.fail(w, r, http.StatusNotFound, "No such message (it may have been deleted).")
		return
	}
	h.log.Error("inbox: reading a message", "err", err)
	h.fail(w, r, http.StatusInternalServerError, "The message could not be read: "+err.Error())
}

func (h *Handler) setSeen(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := h.cfg.Store.SetSeen(id, r.PostFormValue("seen") == "1"); err != nil {
		h.storeFail(w, r, err)
		return
	}
	if r.PostFormValue("seen") == "1" {
		http.Redirect(w, r, "/m/"+id, http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther) // viewing it again would mark it seen
}

func (h *Handler) deletePage(w http.ResponseWriter, r *http.Request) {
	meta, ok := h.cfg.Store.Get(r.PathValue("id"))
	if !ok {
		h.storeFail(w, r, store.ErrNotFound)
		return
	}
	v := messageView{ID: meta.ID, From: h.senderOf(meta.Sender), Subject: meta.Subject,
		Time: meta.Received.Local().Format("2006-01-02 15:04"), Size: bytesize.Human(meta.Size)}
	h.render(w, r, http.StatusOK, "delete", view{Title: "Delete a message", Nav: "inbox", Data: v})
}

func (h *Handler) delete(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := h.cfg.Store.Delete(id); err != nil {
		h.storeFail(w, r, err)
		return
	}
	h.log.Info("inbox: message deleted", "id", id)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
