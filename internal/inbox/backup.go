package inbox

import (
	"archive/zip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/homemmsc/homemmsc/internal/bytesize"
	"github.com/homemmsc/homemmsc/internal/store"
)

// backupStall is how long writing one message of a backup may take.
const backupStall = 2 * time.Minute

type backupView struct {
	Messages int
	Bytes    string
}

func (h *Handler) backupPage(w http.ResponseWriter, r *http.Request) {
	st := h.cfg.Store.Stats()
	h.render(w, r, http.StatusOK, "backup", view{Title: "Backup", Nav: "backup",
		Data: backupView{Messages: st.Messages, Bytes: bytesize.Human(st.Bytes)}})
}

const backupReadme = `homemmsc backup

One folder per message, named after its id (the UTC time it arrived and
a sequence number). In each:

  message.mms   the message exactly as the phone sent it (M-Send.req)
  meta.json     what the appliance recorded: sender, time, subject, parts
  the parts     under the names the sender gave them (made safe), or
                part-NN.ext when there was none

A time with "clockSynced": false was stamped before the appliance's clock
was set and may be wrong; the order of the ids is right regardless.
`

// backup streams a zip of every message received between ?from= and
// ?to= (inclusive dates, both optional), oldest first. Nothing is built
// in memory but one message at a time.
func (h *Handler) backup(w http.ResponseWriter, r *http.Request) {
	from, to := parseRange(r.URL.Query().Get("from"), r.URL.Query().Get("to"))
	s := search{from: from, to: to}
	ids := h.cfg.Store.IDs(store.Query{Match: s.match})
	name := "homemmsc-backup-" + h.now().Format("20060102-150405") + ".zip"
	hd := w.Header()
	hd.Set("Content-Type", "application/zip")
	hd.Set("Content-Disposition", disposition(true, name))
	zw := zip.NewWriter(w)
	rc := http.NewResponseController(w)
	err := writeText(zw, "README.txt", backupReadme)
	for i := len(ids) - 1; i >= 0 && err == nil; i-- {
		// A backup may take longer than the server's write timeout;
		// each message gets its own deadline instead, so a stalled
		// client is still let go.
		if derr := rc.SetWriteDeadline(time.Now().Add(backupStall)); derr != nil && !errors.Is(derr, http.ErrNotSupported) {
			err = derr
			break
		}
		if m, ok := h.cfg.Store.Get(ids[i]); ok { // else deleted since
			err = h.backupMessage(zw, m)
		}
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil { // headers are gone: the download ends short and the zip is unreadable
		h.log.Error("inbox: backup cut short", "err", err)
		return
	}
	h.log.Info("inbox: backup", "messages", len(ids))
}

// backupMessage writes one message's folder.
func (h *Handler) backupMessage(zw *zip.Writer, m store.Meta) error {
	pdu, msg, err := h.readPDU(m.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // deleted since the query
	}
	if pdu == nil {
		return err
	}
	dir := m.ID + "/"
	if err := writeFile(zw, dir+"message.mms", pdu, m, zip.Store); err != nil {
		return err
	}
	var ls []leaf
	if msg != nil {
		ls = leaves(m, msg)
		zipNames(&m, ls)
	}
	mj, _ := json.MarshalIndent(m, "", "  ")
	if err := writeFile(zw, dir+"meta.json", mj, m, zip.Deflate); err != nil {
		return err
	}
	if msg == nil { // undecodable: the .mms and metadata are all there is
		return writeText(zw, dir+"parts-not-extracted.txt", fmt.Sprintf("The message could not be decoded: %v\n", err))
	}
	for _, l := range ls {
		method := zip.Store // media is compressed already
		if k := kindOf(l.Part.ContentType.MediaType); k == kindText || k == kindSMIL {
			method = zip.Deflate
		}
		if err := writeFile(zw, dir+downloadName(l), l.Part.Data, m, method); err != nil {
			return err
		}
	}
	return nil
}

// zipNames makes meta.json's "file" of each top-level part the name the
// zip holds it under (a nested multipart's entries have no row there).
func zipNames(m *store.Meta, ls []leaf) {
	for _, l := range ls {
		if i, err := strconv.Atoi(l.Path); err == nil && i < len(m.Parts) {
			m.Parts[i].File = l.File
		}
	}
}

func writeFile(zw *zip.Writer, name string, data []byte, m store.Meta, method uint16) error {
	w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method, Modified: m.Received})
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

func writeText(zw *zip.Writer, name, text string) error {
	w, err := zw.Create(name)
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, text)
	return err
}

// unique returns name, or name-2.ext, name-3.ext ... when a part of the
// same message already took it, and records it.
func unique(taken map[string]bool, name string) string {
	out := name
	ext := path.Ext(name)
	for i := 2; taken[strings.ToLower(out)]; i++ {
		out = fmt.Sprintf("%s-%d%s", strings.TrimSuffix(name, ext), i, ext)
	}
	taken[strings.ToLower(out)] = true
	return out
}
