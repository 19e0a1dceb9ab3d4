package inbox

import (
	"net/http"
	"strconv"
	"time"

	"github.com/homemmsc/homemmsc/internal/bytesize"
)

type statusView struct {
	Rows []StatusItem
}

// statusPage shows the inbox's own rows (version, uptime, the store)
// followed by the appliance's (Config.Status: modem, outbox, display,
// last errors).
func (h *Handler) statusPage(w http.ResponseWriter, r *http.Request) {
	st := h.cfg.Store.Stats()
	now := h.now()
	rows := []StatusItem{
		{Label: "Version", Value: orDash(h.cfg.Version)},
		{Label: "Up for", Value: uptime(now.Sub(h.started))},
		{Label: "Messages", Value: strconv.Itoa(st.Messages) + " (" + strconv.Itoa(st.New) + " new)"},
		{Label: "Store size", Value: bytesize.Human(st.Bytes)},
		freeRow(st.FreeBytes),
	}
	if st.LastError != "" {
		rows = append(rows, StatusItem{Label: "Last store error",
			Value: st.LastErrorAt.Local().Format("2006-01-02 15:04:05") + ": " + st.LastError, Bad: true})
	}
	if h.cfg.Status != nil {
		rows = append(rows, h.cfg.Status()...)
	}
	h.render(w, r, http.StatusOK, "status", view{Title: "Status", Nav: "status", Data: statusView{Rows: rows}})
}

func freeRow(free int64) StatusItem {
	if free < 0 {
		return StatusItem{Label: "Free disk", Value: "unknown", Bad: true}
	}
	return StatusItem{Label: "Free disk", Value: bytesize.Human(free), Bad: free < 64<<20}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func uptime(d time.Duration) string {
	d = d.Round(time.Minute)
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	s := strconv.Itoa(int(d/time.Hour)) + " h " + strconv.Itoa(int(d%time.Hour/time.Minute)) + " min"
	if days > 0 {
		s = strconv.Itoa(int(days)) + " d " + s
	}
	return s
}
