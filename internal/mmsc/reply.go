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
//     phone to its MMSC URL, Config.Report. They are answered HTTP 200
//     with an empty body whatever the outcome (see doc.go for why 200 and
//     not 204); what went wrong is logged.
//
// A phone also POSTs an M-Read-Rec.ind when its user reads, or deletes
// unread, a message that asked for a read report (OMA-MMS-ENC §6.7.2).
// It has no reply PDU either: it is answered the same empty 200 and
// logged. The
// appliance does not pass read reports on to the sender (that would take
// an M-Read-Orig.ind delivered to the sending phone); answering with an
// M-Send.conf "unsupported message", as it did before, made no sense to
// a phone that sent no M-Send.req.

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

// reports names the PDUs a recipient's phone sends about a message, as
// its last visit records them.
var reports = map[mms.MessageType]string{
	mms.TypeNotifyRespInd:  "notifyresp",
	mms.TypeAcknowledgeInd: "acknowledge",
	mms.TypeReadRecInd:     "readrec",
}

// isReport reports whether a posted PDU, by its first header, is a phone's
// report the handler answers with an empty 200: a read report always, the others when
// Config.Report takes them.
func (h *handler) isReport(t mms.MessageType) bool {
	return t == mms.TypeReadRecInd || (h.cfg.Report != nil && reports[t] != "")
}

// phoneReport hands an M-NotifyResp.ind or M-Acknowledge.ind to
// Config.Report, logs an M-Read-Rec.ind, and answers an empty 200.
func (h *handler) phoneReport(w http.ResponseWriter, r *http.Request, body []byte, phone *phones.Phone) {
	typ := peek(body).typ
	from := ""
	if phone != nil {
		from = phone.Number
		h.cfg.Phones.Saw(phone.Token, visit(r, reports[typ], h.now()))
	}
	msg, err := mms.Decode(body)
	switch {
	case err != nil:
	case typ == mms.TypeReadRecInd:
		h.log.Info("mmsc: read report, not passed on to the sender", "from", from, "remote", r.RemoteAddr,
			"message", msg.MessageID, "deleted_unread", msg.ReadStatus == mms.ReadStatusDeletedWithoutRead)
	default:
		err = h.cfg.Report(from, msg)
	}
	if err != nil {
		h.log.Warn("mmsc: report not applied", "remote", r.RemoteAddr, "size", len(body), "err", err)
	}
	writeEmpty(w)
}

// writeEmpty answers 200 with no body. Not 204: mmsd-tng takes anything
// but exactly 200 as a failed POST (doc.go, "Replies to a phone's
// reports").
func writeEmpty(w http.ResponseWriter) {
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}
