package inbox

import (
	"errors"
	"net/http"
	"time"

	"github.com/homemmsc/homemmsc/internal/smsxml"
)

// backupXML streams the messages received between ?from= and ?to= (both
// optional) as an SMS Backup & Restore file, which the owner restores
// into an Android phone's messaging app (internal/smsxml).
func (h *Handler) backupXML(w http.ResponseWriter, r *http.Request) {
	from, to := parseRange(r.URL.Query().Get("from"), r.URL.Query().Get("to"))
	name := "sms-" + h.now().Format("20060102150405") + ".xml" // the app's own naming
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Header().Set("Content-Disposition", disposition(true, name))
	rc := http.NewResponseController(w)
	res, err := smsxml.Export(w, h.cfg.Store, smsxml.Options{
		From: from, To: to, Now: h.now, Names: h.phoneName,
		// Each message gets its own write deadline, as in backup.
		Before: func() error {
			err := rc.SetWriteDeadline(time.Now().Add(backupStall))
			if errors.Is(err, http.ErrNotSupported) {
				return nil
			}
			return err
		},
	})
	if err != nil { // headers are gone: the download ends short
		h.log.Error("inbox: XML backup cut short", "err", err, "messages", res.Messages)
		return
	}
	if len(res.Skipped) > 0 {
		h.log.Warn("inbox: XML backup left out unreadable messages", "ids", res.Skipped)
	}
	h.log.Info("inbox: XML backup", "messages", res.Messages)
}

// phoneName is the name of the paired phone with that number, or "".
func (h *Handler) phoneName(number string) string {
	if h.cfg.Phones == nil {
		return ""
	}
	p, ok := h.cfg.Phones.ByNumber(number)
	if !ok {
		return ""
	}
	return p.Name
}
