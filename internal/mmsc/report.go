package mmsc

import "net/http"

// Results reported to Config.OnResult, one per POST to an MMSC endpoint
// (other paths and methods are not reported). They name the same
// outcomes as the log's "status", in a form fit for a metric label.
const (
	ResultStored      = "stored"      // durable; M-Send.conf Ok
	ResultCorrupt     = "corrupt"     // PDU not decodable
	ResultUnsupported = "unsupported" // not an MMS 1.x M-Send.req
	ResultTooLarge    = "too_large"   // over MaxSize or a codec limit
	ResultNoSender    = "no_sender"   // no sender identified, or an invalid ?n=
	ResultNotAllowed  = "not_allowed" // sender not on the allow-list
	ResultTransient   = "transient"   // store full or failing
	ResultForbidden   = "forbidden"   // unknown token, or open endpoint off: service-denied
	ResultBadRequest  = "bad_request" // HTTP 400: a body cut short
	ResultBadType     = "bad_type"    // HTTP 415: not the MMS media type
)

// Results lists every result but ResultStored, so that counters can start
// at zero.
var Results = []string{
	ResultCorrupt, ResultUnsupported, ResultTooLarge, ResultNoSender, ResultNotAllowed,
	ResultTransient, ResultForbidden, ResultBadRequest, ResultBadType,
}

func (o outcome) result() string {
	switch o {
	case outStored:
		return ResultStored
	case outCorrupt:
		return ResultCorrupt
	case outUnsupported:
		return ResultUnsupported
	case outTooLarge:
		return ResultTooLarge
	case outNoSender:
		return ResultNoSender
	case outNotAllowed:
		return ResultNotAllowed
	case outForbidden:
		return ResultForbidden
	}
	return ResultTransient
}

// refusedResult is the result of a request refused before its body was
// read, from its HTTP status.
func refusedResult(code int) string {
	switch code {
	case http.StatusUnsupportedMediaType:
		return ResultBadType
	}
	return ResultBadRequest
}

// report calls OnResult, if set.
func (h *handler) report(result string, size int) {
	if h.cfg.OnResult != nil {
		h.cfg.OnResult(result, size)
	}
}
