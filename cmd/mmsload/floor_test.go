package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/floor"
)

// TestFloorHTTPStoresWhatWasPosted: the HTTP floor answers each PDU
// with a strict M-Send.conf, and its log holds every PDU answered OK,
// byte for byte.
func TestFloorHTTPStoresWhatWasPosted(t *testing.T) {
	dir := t.TempDir()
	l, err := floor.OpenLog(filepath.Join(dir, floorLogName))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(floorHandler(l))
	defer srv.Close()
	tp, err := newPDUTemplate(8192, "Lfloor-", 3)
	if err != nil {
		t.Fatal(err)
	}
	res, err := runLoad(context.Background(), loadSpec{
		URL: srv.URL + "/mms", Clients: 4, Duration: time.Hour, Count: 60, PDU: tp, Strict: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.OK != 60 || len(res.OKIDs) != 60 {
		t.Fatalf("%d OK of 60 (errors %v)", res.OK, res.Errors)
	}
	srv.Close()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	c, err := verifyDir(dir, tp, res.OKIDs)
	if err != nil {
		t.Fatal(err)
	}
	if want := (storeCheck{Intact: 60}); c != want {
		t.Errorf("verifyDir = %+v, want %+v", c, want)
	}
}

// TestFloorHTTPRefuses: no 200 for what is not an M-Send.req POST, and
// nothing stored for it.
func TestFloorHTTPRefuses(t *testing.T) {
	dir := t.TempDir()
	l, err := floor.OpenLog(filepath.Join(dir, floorLogName))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	h := floorHandler(l)
	for _, tc := range []struct {
		method string
		body   []byte
		want   int
	}{
		{http.MethodGet, nil, http.StatusMethodNotAllowed},
		{http.MethodPost, []byte("hello"), http.StatusBadRequest},
		{http.MethodPost, []byte{0x8C, 0x80, 0x98, 0}, http.StatusBadRequest}, // empty Transaction-Id
		{http.MethodPost, []byte{0x8C, 0x84, 0x98, 'x', 0}, http.StatusBadRequest},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(tc.method, "/mms", bytes.NewReader(tc.body)))
		if w.Code != tc.want {
			t.Errorf("%s %q: HTTP %d, want %d", tc.method, tc.body, w.Code, tc.want)
		}
	}
	if st, err := os.Stat(filepath.Join(dir, floorLogName)); err != nil || st.Size() != 0 {
		t.Errorf("log after refusals: %v, %v; want empty", st, err)
	}
}

// TestFloorLogRow: the log design without HTTP stores every message it
// counts OK, and its report survives the JSON trip to the parent.
func TestFloorLogRow(t *testing.T) {
	dir := t.TempDir()
	rs := rowSpec{Size: 8192, Clients: 3, Count: 40, Duration: time.Hour, Seed: 7}
	rep, err := floorLog(dir, rs)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Load.OK != 40 || len(rep.Load.OKIDs) != 40 || len(rep.Load.Latency) != 40 {
		t.Fatalf("report %+v", rep.Load)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var back logReport
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Load.OK != rep.Load.OK || back.CPU != rep.CPU || back.Load.Elapsed != rep.Load.Elapsed || len(back.Load.OKIDs) != 40 {
		t.Errorf("JSON round trip: %+v, want %+v", back, rep)
	}
	tp, err := newPDUTemplate(rs.Size, rowPrefix(rs), rs.Seed)
	if err != nil {
		t.Fatal(err)
	}
	c, err := verifyDir(dir, tp, back.Load.OKIDs)
	if err != nil {
		t.Fatal(err)
	}
	if want := (storeCheck{Intact: 40}); c != want {
		t.Errorf("verifyDir = %+v, want %+v", c, want)
	}
}

func TestSendReqTID(t *testing.T) {
	tp, _ := newPDUTemplate(4096, "Ltid-", 1)
	if tid, ok := sendReqTID(tp.bytes(tp.tid(5))); !ok || tid != tp.tid(5) {
		t.Errorf("sendReqTID = %q, %v; want %q", tid, ok, tp.tid(5))
	}
	for _, p := range [][]byte{nil, {0x8C, 0x80, 0x98}, {0x8C, 0x80, 0x98, 'a'}, {0x8C, 0x81, 0x98, 'a', 0}} {
		if tid, ok := sendReqTID(p); ok {
			t.Errorf("sendReqTID(%x) = %q, true", p, tid)
		}
	}
}
