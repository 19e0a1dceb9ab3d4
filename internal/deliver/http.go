package deliver

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/phones"
)

// mmsContentType is the media type of an MMS PDU over HTTP.
const mmsContentType = "application/vnd.wap.mms-message"

// Handler serves the retrieve URLs on the MMSC listener:
//
//   - GET /m/<key>: the M-Retrieve.conf for a phone's MMS client, or the
//     message-not-found one, always with HTTP 200 and never a redirect;
//   - GET /v/<key>: a small HTML page of the message for a browser, the
//     link of the SMS fallback; GET /v/<key>/<n> is its part n.
//
// Anything else under these paths gets 404 or 405.
func (d *Deliverer) Handler() http.Handler { return http.HandlerFunc(d.serveHTTP) }

func (d *Deliverer) serveHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	switch p := r.URL.Path; {
	case strings.HasPrefix(p, "/m/"):
		d.serveRetrieve(w, r, p[len("/m/"):])
	case strings.HasPrefix(p, "/v/"):
		key, part, hasPart := strings.Cut(p[len("/v/"):], "/")
		if !hasPart {
			d.serveView(w, r, key)
			return
		}
		n, err := strconv.Atoi(part)
		if err != nil || n < 0 {
			http.NotFound(w, r)
			return
		}
		d.servePart(w, r, key, n)
	default:
		http.NotFound(w, r)
	}
}

// fetch is one use of a retrieve URL.
type fetch struct {
	remote, userAgent, profile string
	view                       bool // the browser page, not the MMS client
}

// found is what a key leads to.
type found struct {
	rec  Record
	rc   Recipient
	test *selfTest
}

// lookup resolves a key and records the fetch, unless f is nil (a part
// of the view page, whose fetch the page recorded). It does the same
// work for every key up to the index lookup (see keyIndex); ok is false
// for a wrong key and for a message that is expired, rejected or gone.
func (d *Deliverer) lookup(key string, f *fetch) (found, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, ok := d.keys.lookup(key)
	if !ok {
		return found{}, false
	}
	now := d.cfg.Now()
	if s.id == "" {
		t := d.tests[s.rcp]
		if f != nil {
			t.fetched(now, *f)
		}
		return found{test: t}, true
	}
	r := d.recs[s.id]
	d.settle(r, now)
	rc := &r.Recipients[s.rcp]
	switch {
	case !now.Before(r.Expires), rc.State == Rejected, rc.State == Expired, rc.State == Failed:
		return found{}, false
	case f == nil:
		return found{rec: *r, rc: *rc}, true
	}
	rc.Fetched, rc.FetchedBy, rc.UserAgent = now, clip(f.remote, 64), clip(f.userAgent, 256)
	d.write(r) // the metadata shows no fetch: nothing to publish
	if p, ok := d.cfg.Phones.ByNumber(rc.Number); ok {
		what := "retrieve"
		if f.view {
			what = "view"
		}
		d.cfg.Phones.Saw(p.Token, phones.Visit{Time: now, Remote: rc.FetchedBy, UserAgent: rc.UserAgent, Profile: f.profile, What: what})
	}
	return found{rec: *r, rc: *rc}, true
}

func (d *Deliverer) serveRetrieve(w http.ResponseWriter, r *http.Request, key string) {
	f, ok := d.lookup(key, fetchOf(r, false))
	var conf *mms.Message
	switch {
	case ok && f.test != nil:
		conf = f.test.conf
	case ok:
		conf = d.storedConf(f.rec, f.rc)
	}
	if conf == nil {
		conf = notFoundConf(d.cfg.Now())
	}
	pdu, err := conf.Encode()
	if err == nil && ok && f.test == nil {
		pdu, err = d.fit(f.rec, f.rc, conf, pdu)
	}
	if err != nil {
		d.log.Error("deliver: M-Retrieve.conf not encoded", "id", f.rec.ID, "err", err)
		if pdu, err = notFoundConf(d.cfg.Now()).Encode(); err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
	}
	d.stats.add(func(s *Stats) {
		if conf.RetrieveStatus == 0 {
			s.Fetches++
		} else {
			s.NotFound++
		}
	})
	d.log.Info("deliver: retrieve", "id", f.rec.ID, "to", f.rc.Name, "found", conf.RetrieveStatus == 0,
		"size", len(pdu), "remote", r.RemoteAddr, "user_agent", r.UserAgent())
	w.Header().Set("Content-Type", mmsContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(pdu)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(pdu)
	}
}

// storedConf is the M-Retrieve.conf of a stored message for one
// recipient, nil when the message is gone from the store.
func (d *Deliverer) storedConf(rec Record, rc Recipient) *mms.Message {
	msg := d.stored(rec.ID)
	if msg == nil {
		return nil
	}
	return retrieveConf(msg, rec.From, rc.TID, rec.ID, rec.Received)
}

// fit returns pdu, the encoded conf for rc, or when it is larger than the
// recipient phone's limit the encoding of conf adapted to it (Config.Fit).
// The original encoding is dropped before the adaptation, which decodes
// pictures: a large message is then in memory once, as read from the store.
func (d *Deliverer) fit(rec Record, rc Recipient, conf *mms.Message, pdu []byte) ([]byte, error) {
	limit := d.limit(rc.Number)
	if d.cfg.Fit == nil || len(pdu) <= limit {
		return pdu, nil
	}
	size := len(pdu)
	pdu = nil
	out, err := d.cfg.Fit(rec.ID, limit, conf, size)
	if err != nil {
		d.log.Warn("deliver: message not made to fit the phone; sending it as it is", "id", rec.ID, "to", rc.Name,
			"size", size, "limit", limit, "err", err)
	}
	return out.Encode()
}

// limit is the size limit of the phone with that number.
func (d *Deliverer) limit(number string) int {
	if p, ok := d.cfg.Phones.ByNumber(number); ok {
		return p.Limit()
	}
	return phones.DefaultMaxMessage
}

// announced is the Message-Size to notify a phone of: the stored size,
// or at most its limit when messages are made to fit (some phones do not
// fetch a message announced larger than they take).
func (d *Deliverer) announced(size int64, number string) int64 {
	if d.cfg.Fit == nil {
		return size
	}
	return min(size, int64(d.limit(number)))
}

// stored reads and decodes a stored message; nil when it is gone or
// unreadable.
func (d *Deliverer) stored(id string) *mms.Message {
	meta, ok := d.cfg.Store.Get(id)
	if !ok {
		return nil
	}
	msg, err := d.readMessage(meta)
	if err != nil {
		d.log.Error("deliver: stored message unreadable", "id", id, "err", err)
		return nil
	}
	return msg
}

func fetchOf(r *http.Request, view bool) *fetch {
	return &fetch{remote: r.RemoteAddr, userAgent: clip(r.UserAgent(), 256), profile: clip(r.Header.Get("X-Wap-Profile"), 256), view: view}
}
