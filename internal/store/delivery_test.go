package store

import (
	"os"
	"path/filepath"
	"testing"
)

// Delivery states go to the journal, survive a reopen, and an unchanged
// set writes nothing.
func TestSetDelivery(t *testing.T) {
	cfg := testConfig(t)
	s := openStore(t, cfg)
	m, err := s.Put(message("d1", 100))
	if err != nil {
		t.Fatal(err)
	}
	ds := []Delivery{
		{To: "+15552220002/TYPE=PLMN", Phone: "Ben", State: "notified", Updated: t0},
		{To: "+15553330003/TYPE=PLMN\x00", State: "kept"},
	}
	if err := s.SetDelivery(m.ID, ds); err != nil {
		t.Fatal(err)
	}
	journal := filepath.Join(cfg.Dir, logName)
	before, _ := os.Stat(journal)
	if err := s.SetDelivery(m.ID, ds); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.Stat(journal); after.Size() != before.Size() {
		t.Errorf("an unchanged delivery grew the log from %d to %d bytes", before.Size(), after.Size())
	}
	s.Close()
	s = openStore(t, cfg)
	got, _ := s.Get(m.ID)
	if len(got.Delivery) != 2 || got.Delivery[0].State != "notified" || got.Delivery[0].Phone != "Ben" ||
		!got.Delivery[0].Updated.Equal(t0) || got.Delivery[1].To != "+15553330003/TYPE=PLMN" {
		t.Errorf("after a reopen: %+v", got.Delivery)
	}
	if err := s.SetDelivery("20261126-000000-999999", ds); err == nil {
		t.Errorf("SetDelivery of an unknown message succeeded")
	}
}
