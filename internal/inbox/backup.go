package inbox

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path"
	"path/filepath"
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
  meta.json     what the appliance recorded: sender, time, subject, parts,
                and the sha256 of message.mms
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
	err := zipSink{zw}.file("README.txt", []byte(backupReadme), h.now(), true)
	for i := len(ids) - 1; i >= 0 && err == nil; i-- {
		// A backup may take longer than the server's write timeout;
		// each message gets its own deadline instead, so a stalled
		// client is still let go.
		if derr := rc.SetWriteDeadline(time.Now().Add(backupStall)); derr != nil && !errors.Is(derr, http.ErrNotSupported) {
			err = derr
			break
		}
		if m, ok := h.cfg.Store.Get(ids[i]); ok { // else deleted since
			err = backupMessage(zipSink{zw}, h.cfg.Store, m)
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

// A backupSink takes the files of a backup: a zip for the backup page,
// a folder for ExportDir. Names use '/' and are safe (an id, then a
// name downloadName made).
type backupSink interface {
	file(name string, data []byte, modified time.Time, compress bool) error
}

// backupMessage writes one message's folder.
func backupMessage(sink backupSink, st *store.Store, m store.Meta) error {
	pdu, msg, err := readPDU(st, m.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // deleted since the query
	}
	if pdu == nil {
		return err
	}
	dir := m.ID + "/"
	if err := sink.file(dir+"message.mms", pdu, m.Received, false); err != nil {
		return err
	}
	var ls []leaf
	if msg != nil {
		ls = leaves(m, msg)
		zipNames(&m, ls)
	}
	sum := sha256.Sum256(pdu)
	mj, _ := json.MarshalIndent(struct {
		store.Meta
		SHA256 string `json:"sha256"` // of message.mms, for checking a copy
	}{m, hex.EncodeToString(sum[:])}, "", "  ")
	if err := sink.file(dir+"meta.json", mj, m.Received, true); err != nil {
		return err
	}
	if msg == nil { // undecodable: the .mms and metadata are all there is
		return sink.file(dir+"parts-not-extracted.txt", fmt.Appendf(nil, "The message could not be decoded: %v\n", err), m.Received, true)
	}
	for _, l := range ls {
		k := kindOf(l.Part.ContentType.MediaType)
		compress := k == kindText || k == kindSMIL // media is compressed already
		if err := sink.file(dir+downloadName(l), l.Part.Data, m.Received, compress); err != nil {
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

// zipSink writes a backup into a zip.
type zipSink struct{ zw *zip.Writer }

func (z zipSink) file(name string, data []byte, modified time.Time, compress bool) error {
	method := zip.Store
	if compress {
		method = zip.Deflate
	}
	w, err := z.zw.CreateHeader(&zip.FileHeader{Name: name, Method: method, Modified: modified})
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// dirSink writes a backup as plain files under a folder.
type dirSink struct{ root string }

func (d dirSink) file(name string, data []byte, modified time.Time, _ bool) error {
	path := filepath.Join(d.root, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return err
	}
	return os.Chtimes(path, modified, modified)
}

// ExportDir writes the messages of st whose ids are in ids (as IDs
// returns them, newest first; written oldest first) to dir as plain
// files, laid out as in the backup zip: README.txt, and per message a
// folder with message.mms (the PDU as received), meta.json and the
// parts. It returns how many messages it wrote. Files already in dir
// under the same names are replaced.
func ExportDir(st *store.Store, ids []string, dir string) (int, error) {
	sink := dirSink{dir}
	if err := sink.file("README.txt", []byte(backupReadme), time.Now(), true); err != nil {
		return 0, err
	}
	n := 0
	for i := len(ids) - 1; i >= 0; i-- {
		m, ok := st.Get(ids[i])
		if !ok {
			continue // deleted since
		}
		if err := backupMessage(sink, st, m); err != nil {
			return n, fmt.Errorf("inbox: export %s: %w", m.ID, err)
		}
		n++
	}
	return n, nil
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
