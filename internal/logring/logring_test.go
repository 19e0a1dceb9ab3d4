package logring

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestKeep(t *testing.T) {
	var out bytes.Buffer
	log, ring := Keep(slog.New(slog.NewTextHandler(&out, nil)))
	log.Info("fine")
	for i := range Kept + 2 {
		log.With("n", i).Error("it broke", "err", "EIO")
	}
	got := ring.Last()
	if len(got) != Kept || got[0].Text != "it broke n=6 err=EIO" || got[Kept-1].Text != "it broke n=2 err=EIO" {
		t.Errorf("kept %+v", got)
	}
	if !strings.Contains(out.String(), "fine") || strings.Count(out.String(), "it broke") != Kept+2 {
		t.Error("the wrapped handler did not get every record")
	}
	log.WithGroup("g").With("k", "v").Error("grouped", "a", 1)
	if got := ring.Last()[0].Text; got != "grouped g.k=v g.a=1" {
		t.Errorf("grouped record kept as %q", got)
	}
}
