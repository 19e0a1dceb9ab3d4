package adapt

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/testcorpus"
)

// TestFitCorpus adapts every real message of the corpus that has a
// picture (JPEG and GIF from phones and other MMS stacks) to 60% of its
// size: each either fits, with its other parts byte for byte the
// sender's, or is reported as not fitting and sent unchanged (the small
// GIFs, which MinSide stops shrinking: 14 fit, 8 do not).
func TestFitCorpus(t *testing.T) {
	names, _ := filepath.Glob(filepath.Join(testcorpus.Dir(t, "mms"), "*"))
	a := newAdapter(t)
	var fitted, nofit int
	for i, name := range names {
		pdu, _ := os.ReadFile(name)
		msg, err := mms.Decode(pdu)
		if err != nil || len(pictures(msg.Parts)) == 0 {
			continue
		}
		n := size(t, msg)
		limit := n * 6 / 10
		out, err := a.Fit("20260314-120000-"+padded(i), limit, msg, n)
		switch {
		case errors.Is(err, ErrNoFit):
			nofit++
			if out != msg {
				t.Errorf("%s: not fitted but changed", filepath.Base(name))
			}
			continue
		case err != nil:
			t.Errorf("%s: %v", filepath.Base(name), err)
			continue
		}
		fitted++
		if got := size(t, out); got > limit {
			t.Errorf("%s: %d bytes, limit %d", filepath.Base(name), got, limit)
		}
		in, got := mms.Leaves(msg.Parts), mms.Leaves(out.Parts)
		for j := range in {
			if !isPicture(in[j].ContentType.MediaType) && !bytes.Equal(in[j].Data, got[j].Data) &&
				in[j].ContentType.MediaType != "application/smil" {
				t.Errorf("%s: part %d (%s) changed", filepath.Base(name), j, in[j].ContentType.MediaType)
			}
		}
	}
	t.Logf("%d corpus messages with pictures made to fit 60%% of their size, %d could not be", fitted, nofit)
	if fitted == 0 {
		t.Fatal("no corpus message was adapted")
	}
}

func padded(i int) string { return fmt.Sprintf("%06d", i) }
