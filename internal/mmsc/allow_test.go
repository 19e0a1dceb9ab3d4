package mmsc

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/phones"
)

func TestAllowList(t *testing.T) {
	a, err := ParseAllowList("+1 555 123 4567, 0044 7700 900123,,+15551234567")
	if err != nil {
		t.Fatal(err)
	}
	if a.Len() != 2 {
		t.Errorf("Len %d, want 2 (a repeated number counts once)", a.Len())
	}
	for n, want := range map[string]bool{
		"+15551234567": true, "+447700900123": true, "00447700900123": true, "07700900123": true,
		"+15551234568": false, "": false, "+1555123456": false, "+337700900123": false,
	} {
		if a.Allows(n) != want {
			t.Errorf("Allows(%q) = %v, want %v", n, !want, want)
		}
	}
	f, err := ReadAllowList(strings.NewReader("# family\n+15551234567\n\n  +15557654321  \n"))
	if err != nil || f.Len() != 2 || !f.Allows("+15557654321") {
		t.Errorf("ReadAllowList: %v, %d numbers", err, f.Len())
	}
	for _, bad := range []string{"+1555x", "12", "mum"} {
		if _, err := ParseAllowList(bad); !errors.Is(err, phones.ErrBadNumber) {
			t.Errorf("ParseAllowList(%q): %v, want ErrBadNumber", bad, err)
		}
	}
	var many strings.Builder
	for i := range MaxAllowed + 1 {
		fmt.Fprintf(&many, "+1666%07d,", i)
	}
	if _, err := ParseAllowList(many.String()); err == nil {
		t.Error("more than MaxAllowed numbers accepted")
	}
}

// fromNumber makes the PDU name its sender in From.
func fromNumber(n string) func(*mms.Message) {
	return func(m *mms.Message) {
		m.From = mms.Address{Value: mms.EncodedString{Raw: []byte(n + "/TYPE=PLMN")}}
	}
}

func TestAllowListRefusesOthers(t *testing.T) {
	allow, _ := ParseAllowList("+15550001111")
	for _, v := range []struct {
		version mms.Version
		want    mms.ResponseStatus
	}{{mms.Version10, mms.StatusErrServiceDenied}, {mms.Version12, mms.StatusErrServiceDenied}} {
		fs := &fakeStore{}
		var results []string
		h := NewHandler(Config{Store: fs, Phones: testPhones, Open: true, Allow: allow.Allows,
			OnResult: func(r string, _ int) { results = append(results, r) }})
		c := confOf(t, post(h, "/mms", sendReq(t, v.version, fromNumber("+15559999999"))))
		if c.ResponseStatus != v.want {
			t.Errorf("v%#x stranger: status %#x, want %#x", v.version, c.ResponseStatus, v.want)
		}
		fs.none(t)
		confOf(t, post(h, "/mms?n=%2B15559999999", sendReq(t, v.version, nil)))
		fs.none(t)
		if c := confOf(t, post(h, "/mms", sendReq(t, v.version, fromNumber("+15550001111")))); c.ResponseStatus != mms.StatusOk {
			t.Errorf("allowed number: status %#x", c.ResponseStatus)
		}
		// Anna is not on the list, but her token proves who she is.
		if c := confOf(t, post(h, "/mms/"+tokA, sendReq(t, v.version, nil))); c.ResponseStatus != mms.StatusOk {
			t.Errorf("paired phone: status %#x", c.ResponseStatus)
		}
		if fs.count() != 2 {
			t.Errorf("store got %d messages, want 2", fs.count())
		}
		if want := []string{ResultNotAllowed, ResultNotAllowed, ResultStored, ResultStored}; strings.Join(results, ",") != strings.Join(want, ",") {
			t.Errorf("results %v, want %v", results, want)
		}
	}
}

func TestOnResult(t *testing.T) {
	type got struct {
		result string
		size   int
	}
	var results []got
	fs := &fakeStore{}
	h := NewHandler(Config{Store: fs, Phones: testPhones, OnResult: func(r string, n int) { results = append(results, got{r, n}) }})
	body := sendReq(t, mms.Version12, nil)
	post(h, "/mms/"+tokA, body)
	post(h, "/mms/"+tokA, []byte{0x8C, 0x80, 0x98})
	post(h, "/mms/unknown-token-0123456789", body)
	post(h, "/mms", body) // open endpoint off
	req := post(h, "/mms/"+tokA, body, "Content-Type", "text/plain")
	textOf(t, req, http.StatusUnsupportedMediaType)
	post(h, "/nowhere", body) // not an MMSC endpoint: not reported
	fs.err = errors.New("disk on fire")
	post(h, "/mms/"+tokA, body)
	want := []got{
		{ResultStored, len(body)}, {ResultCorrupt, 3}, {ResultForbidden, min(len(body), peekLen)}, {ResultForbidden, min(len(body), peekLen)},
		{ResultBadType, 0}, {ResultTransient, len(body)},
	}
	if len(results) != len(want) {
		t.Fatalf("results %v, want %v", results, want)
	}
	for i := range want {
		if results[i] != want[i] {
			t.Errorf("result %d = %v, want %v", i, results[i], want[i])
		}
	}
}
