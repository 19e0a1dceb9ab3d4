package inbox

import (
	"net/http"
	"strconv"

	"github.com/homemmsc/homemmsc/internal/phones"
)

// setLimit sets the largest message a phone takes, in KB (?kb=); the
// deliverer makes the pictures of a larger message smaller for it.
func (h *Handler) setLimit(w http.ResponseWriter, r *http.Request) {
	if h.cfg.Phones == nil {
		h.fail(w, r, http.StatusNotFound, "Pairing is not available.")
		return
	}
	kb, err := strconv.Atoi(r.PostFormValue("kb"))
	if err != nil || kb < phones.MinMaxMessage>>10 || kb > phones.MaxMaxMessage>>10 {
		h.renderPhones(w, r, http.StatusBadRequest, phonesView{Error: "The largest message must be a number of KB from " +
			strconv.Itoa(phones.MinMaxMessage>>10) + " to " + strconv.Itoa(phones.MaxMaxMessage>>10) + "."})
		return
	}
	n := kb << 10
	if n == phones.DefaultMaxMessage {
		n = 0 // follows the default if it changes
	}
	if !h.savedSetting(w, r, "a phone's size limit", h.cfg.Phones.SetMaxMessage(r.PostFormValue("token"), n)) {
		return
	}
	h.log.Info("inbox: phone size limit set", "kb", kb)
	h.done(w, r, "/phones", "Largest message set to "+strconv.Itoa(kb)+" KB.")
}
