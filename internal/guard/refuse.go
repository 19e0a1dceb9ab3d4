package guard

import (
	"net/http"
	"time"
)

// CloseUnread prepares the answer to a request whose body the handler
// will not read: "Connection: close", and a read deadline in the past.
// Without them net/http reads up to 256 KB of the body after the handler
// returns, at the client's pace, to keep the connection (even with
// "Connection: close": it reads before it closes). Call it before
// writing the header. A request without a body keeps its connection.
//
// On a Listener's connection (see Hook), the connection is marked done:
// it is the first to be evicted when a newcomer needs its slot, and once
// answered it goes to the tarpit rather than being closed. Closing a
// socket with unread bytes resets it, and the client may lose the answer;
// held a while, it has read it. The client is told nothing more and
// closes when it has read the answer, its Content-Length says when.
func CloseUnread(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength == 0 {
		return
	}
	Refusing(r)
	w.Header().Set("Connection", "close")
	// The error is http.ErrNotSupported for writers without a
	// connection (tests).
	http.NewResponseController(w).SetReadDeadline(time.Unix(1, 0)) //nolint:errcheck
}

// Refusing marks the connection of r, if it is a Listener's (see Hook),
// as done: its request is being refused, and it is the first to be
// evicted when a newcomer needs its slot, even while the handler still
// reads the start of the body to word its refusal. CloseUnread calls it.
func Refusing(r *http.Request) { markDone(r.Context()) }
