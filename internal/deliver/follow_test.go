package deliver

import (
	"context"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/mms"
)

// eventually polls cond for up to 10 s: Follow works on its own goroutine.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10 s", what)
		}
	}
}

// Follow gives a message the store keeps its record, recovers one
// stored while it was not running, and forgets a deleted one.
func TestFollow(t *testing.T) {
	e := newEnv(t)
	pdu, _ := sendReq(nil).Encode()
	msg, _ := mms.Decode(pdu)
	before, err := e.st.Put(storeIncoming(pdu, msg)) // while delivery was not following
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	wait := e.d.Follow(ctx, e.st)
	defer func() { cancel(); wait() }()
	if got := e.d.States(before.ID); len(got) != 2 {
		t.Errorf("recovered at start: %d recipients, want 2", len(got))
	}
	m, err := e.st.Put(storeIncoming(pdu, msg))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "record of the stored message", func() bool { return len(e.d.States(m.ID)) == 2 })
	if err := e.st.Delete(m.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "record of the deleted message forgotten", func() bool { return e.d.States(m.ID) == nil })
}

// After a Resync, the records of messages the store no longer has go.
func TestForgetGone(t *testing.T) {
	e := newEnv(t)
	kept, gone := e.put(sendReq(nil)), e.put(sendReq(nil))
	if err := e.st.Delete(gone); err != nil { // no one told the Deliverer
		t.Fatal(err)
	}
	e.d.forgetGone()
	if e.d.States(gone) != nil || len(e.d.States(kept)) != 2 {
		t.Errorf("after forgetGone: gone %+v, kept %d recipients", e.d.States(gone), len(e.d.States(kept)))
	}
}
