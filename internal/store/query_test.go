package store_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/store"
)

// TestQuery uses only the exported API, so it does not depend on the
// store's test helpers.
func TestQuery(t *testing.T) {
	st, err := store.Open(store.Config{Dir: t.TempDir(), MinFree: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var ids []string // oldest first
	for i := range 7 {
		msg := &mms.Message{Type: mms.TypeSendReq, TransactionID: "t", Version: mms.Version12, Subject: mms.Text(fmt.Sprint("s", i%2)),
			ContentType: mms.ContentType{MediaType: "text/plain"}, Body: []byte("x")}
		pdu, err := msg.Encode()
		if err != nil {
			t.Fatal(err)
		}
		m, err := st.Put(store.Incoming{PDU: pdu, Msg: msg, Sender: store.Sender{Source: "none"}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	newest := slices.Clone(ids)
	slices.Reverse(newest)
	idsOf := func(ms []store.Meta) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.ID)
		}
		return out
	}
	odd := func(m store.Summary) bool { return m.Subject == "s1" }
	for _, c := range []struct {
		q         store.Query
		want      []string
		wantTotal int
	}{
		{store.Query{}, newest, 7},
		{store.Query{Limit: 3}, newest[:3], 7},
		{store.Query{Offset: 3, Limit: 3}, newest[3:6], 7},
		{store.Query{Offset: 6, Limit: 3}, newest[6:], 7},
		{store.Query{Offset: 9, Limit: 3}, nil, 7},
		{store.Query{Match: odd}, []string{ids[5], ids[3], ids[1]}, 3},
		{store.Query{Match: odd, Offset: 1, Limit: 1}, []string{ids[3]}, 3},
	} {
		page, total := st.Query(c.q)
		if got := idsOf(page); !slices.Equal(got, c.want) || total != c.wantTotal {
			t.Errorf("Query(offset %d, limit %d): %v, %d; want %v, %d", c.q.Offset, c.q.Limit, got, total, c.want, c.wantTotal)
		}
		if got := st.IDs(c.q); !slices.Equal(got, c.want) && len(got)+len(c.want) > 0 {
			t.Errorf("IDs(offset %d, limit %d): %v; want %v", c.q.Offset, c.q.Limit, got, c.want)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.SetSeen(ids[1], true))
	must(st.SetSeen(ids[5], true))
	seen := func(m store.Summary) bool { return m.Seen }
	if page, total := st.Query(store.Query{Match: seen, Limit: 1}); total != 2 || !slices.Equal(idsOf(page), ids[5:6]) || !page[0].Seen {
		t.Errorf("Query(seen, limit 1) after SetSeen: %v, %d", idsOf(page), total)
	}
	// The summary Match sees is the metadata's, in memory.
	var sums []store.Summary
	page, _ := st.Query(store.Query{Match: func(m store.Summary) bool { sums = append(sums, m); return true }})
	for i, m := range page {
		want := store.Summary{Received: m.Received.UTC(), ClockSynced: m.ClockSynced, Sender: m.Sender, Subject: m.Subject, Seen: m.Seen, Size: m.Size}
		if sums[i] != want {
			t.Errorf("summary of %s: %+v, want %+v", m.ID, sums[i], want)
		}
	}
}

func TestFileExt(t *testing.T) {
	for ct, want := range map[string]string{"image/jpeg": ".jpg", "text/plain; charset=utf-8": ".txt", "x/unknown": ".bin"} {
		if got := store.FileExt(ct); got != want || !strings.HasPrefix(got, ".") {
			t.Errorf("FileExt(%q) = %q, want %q", ct, got, want)
		}
	}
}

// TestSummaryTo: a Query's Match sees the To addresses as Meta holds
// them, so the inbox can group messages by correspondent without reading
// the journal; and the same people share one copy in memory.
func TestSummaryTo(t *testing.T) {
	st, err := store.Open(store.Config{Dir: t.TempDir(), MinFree: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tos := [][]string{nil, {"+15551234567/TYPE=PLMN"}, {"+15551234567/TYPE=PLMN", "a@example.org"}}
	for _, to := range tos {
		msg := &mms.Message{Type: mms.TypeSendReq, TransactionID: "t", Version: mms.Version12,
			ContentType: mms.ContentType{MediaType: "text/plain"}, Body: []byte("x")}
		for _, a := range to {
			msg.To = append(msg.To, mms.Address{Value: mms.EncodedString{Raw: []byte(a)}})
		}
		pdu, err := msg.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Put(store.Incoming{PDU: pdu, Msg: msg, Sender: store.Sender{Number: "+15550001111", Source: "query"}}); err != nil {
			t.Fatal(err)
		}
	}
	var got [][]string
	st.Query(store.Query{Match: func(s store.Summary) bool { got = append(got, s.To()); return false }})
	slices.Reverse(got)
	if !slices.EqualFunc(got, tos, slices.Equal) {
		t.Errorf("Summary.To: %q, want %q", got, tos)
	}
}

// TestSenderLabel: the OLED's and the SMS's sender names a proven phone,
// marks a claimed address, and shows no stored name or free text for a
// claim.
func TestSenderLabel(t *testing.T) {
	for _, c := range []struct {
		s    store.Sender
		want string
	}{
		{store.Sender{Number: "+15551234567", Name: "Anna", Source: store.SourceToken}, "Anna"},
		{store.Sender{Number: "+15551234567", Source: store.SourceToken}, "+15551234567"},
		{store.Sender{Number: "+15557654321", Name: "Anna", Source: store.SourceQuery}, "+15557654321 (claimed)"},
		{store.Sender{Number: "192.0.2.7/TYPE=IPv4", Source: store.SourceFrom}, "192.0.2.7 (claimed)"},
		{store.Sender{Number: "<b>+1555</b><script>", Source: store.SourceFrom}, "unknown sender"}, // stored by an older version
		{store.Sender{Source: store.SourceNone}, "unknown sender"},
	} {
		if got := c.s.Label(); got != c.want {
			t.Errorf("%+v.Label() = %q, want %q", c.s, got, c.want)
		}
	}
}
