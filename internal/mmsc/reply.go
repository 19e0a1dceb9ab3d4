package mmsc

import (
	"net/http"
	"strings"

	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/phones"
)

// Delivery to paired phones (issue 7) adds two kinds of requests to the
// listener, served elsewhere (internal/deliver) and only routed here:
//
//   - GET /m/<key> and /v/<key>…: the retrieve URLs, Config.Retrieve;
//   - M-NotifyResp.ind and M-Acknowledge.ind POSTed by a recipient's
//     phone to its MMSC URL, Config.Report. They are answered HTTP 204
//     with no body whatever the outcome, as phones expect; what went wrong
//     is logged.

// isRetrievePath reports whether path is a retrieve URL.
func isRetrievePath(path string) bool {
	return strings.HasPrefix(path, "/m/") || strings.HasPrefix(path, "/v/")
}

// serveRetrieve hands a retrieve URL to Config.Retrieve.
func (h *handler) serveRetrieve(w http.ResponseWriter, r *http.Request) {
	if h.cfg.Retrieve == nil {
		writeText(w, http.StatusNotFound, "not found")
		return
	}
	h.cfg.Retrieve.ServeHTTP(w, r)
}

// isReport reports whether a posted PDU, by its first header, is one a
// recipient's phone sends about a notification.
func isReport(t mms.MessageType) bool {
	return t == mms.TypeNotifyRespInd || t == mms.TypeAcknowledgeInd
}

// phoneReport hands an M-NotifyResp.ind or M-Acknowledge.ind to
// Config.Report and answers 204.
func (h *handler) phoneReport(w http.ResponseWriter, r *http.Request, body []byte, phone *phones.Phone) {
	from := ""
	if phone != nil {
		from = phone.Number
		what := "notifyresp"
		if peek(body).typ == mms.TypeAcknowledgeInd {
			what = "acknowledge"
		}
		h.cfg.Phones.Saw(phone.Token, visit(r, what, h.now()))
	}
	msg, err := mms.Decode(body)
	if err == nil {
		err = h.cfg.Report(from, msg)
	}
	if err != nil {
		h.log.Warn("mmsc: report not applied", "remote", r.RemoteAddr, "size", len(body), "err", err)
	}
	w.WriteHeader(http.StatusNoContent)
}
