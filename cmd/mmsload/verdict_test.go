package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// fakeRow is a row of size KiB × clients with ok messages answered in
// one second, cpu of CPU per message and dev device bytes per message.
func fakeRow(name string, size, clients, ok int, cpu time.Duration, dev int64) row {
	ids := make([]string, ok)
	return row{
		Server: name, Size: size << 10, Clients: clients, IdleKB: 11 << 10,
		Load:  loadResult{Elapsed: time.Second, OK: ok, OKIDs: ids},
		Store: storeCheck{Intact: ok}, CPU: cpuTime{User: cpu * time.Duration(ok)},
		DevBytes: dev * int64(ok), HasDev: dev > 0,
	}
}

func texts(cells []cell) []string {
	var out []string
	for _, c := range cells {
		out = append(out, c.String())
	}
	return out
}

func TestTargetCells(t *testing.T) {
	ms := time.Millisecond
	m := matrix{
		ours: []row{
			fakeRow(nameOurs, 30, 1, 900, 2*ms, 110), // CPU exactly 2×, rate 0.9×, dev 1.1×: all on the bound
			fakeRow(nameOurs, 30, 64, 1500, 3*ms, 120),
		},
		log:   []row{fakeRow(nameLog, 30, 1, 1000, ms, 100), fakeRow(nameLog, 30, 64, 3000, ms, 100)},
		floor: []row{fakeRow(nameFloor, 30, 1, 950, ms, 100), fakeRow(nameFloor, 30, 64, 2000, ms, 100)},
		seed:  []row{fakeRow(nameSeed, 30, 1, 600, 4*ms, 50), fakeRow(nameSeed, 30, 64, 1000, 4*ms, 50)},
	}
	want := [][]string{
		{"30 KB × 1", "2.00× (≤ 2) PASS", "0.90× (≥ 0.9) PASS", "1.50× (≥ 1.5) PASS", "1.10× (≤ 1.1) PASS",
			"0 (floors 0/0, seed 0 of 600) PASS", "11.0 MB (≤ 12) PASS"},
		// 30 KB × 64 is not a row of the CPU target; 1.2× the log's
		// device bytes fails.
		{"30 KB × 64", "3.00× (shown)", "-", "1.50× (≥ 1.5) PASS", "1.20× (≤ 1.1) FAIL",
			"0 (floors 0/0, seed 0 of 1000) PASS", "11.0 MB (≤ 12) PASS"},
	}
	for i := range m.ours {
		if got := texts(targetCells(m, i)); strings.Join(got, "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d:\n got %q\nwant %q", i, got, want[i])
		}
	}
	var out bytes.Buffer
	if printVerdict(&out, m) {
		t.Errorf("overall PASS with a device-bytes FAIL:\n%s", out.String())
	}
	m.ours[1].DevBytes = 110 * 1500
	if !printVerdict(&out, m) {
		t.Errorf("overall FAIL with every target met:\n%s", out.String())
	}
}

func TestTargetCellsFail(t *testing.T) {
	ms := time.Millisecond
	lost := fakeRow(nameLog, 300, 1, 100, ms, 100)
	lost.Store.Lost = 1
	m := matrix{
		ours:  []row{fakeRow(nameOurs, 300, 1, 89, 2100*time.Microsecond, 100)},
		log:   []row{lost},
		floor: []row{fakeRow(nameFloor, 300, 1, 95, 2500*time.Microsecond, 100)},
	}
	got := texts(targetCells(m, 0))
	want := []string{"300 KB × 1", "2.10× (≤ 2) FAIL", "0.89× (≥ 0.9) FAIL", "-", "1.00× (≤ 1.1) PASS",
		"0 (floors 1/0, seed -) FAIL", "11.0 MB (≤ 12) PASS"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
	// Without an image there are no device bytes: shown, not judged.
	m.ours[0].HasDev = false
	if c := targetCells(m, 0)[4]; c.judged {
		t.Errorf("device bytes without an image judged: %v", c)
	}
}

// TestInfoCells: when even the log design is under 1.5× the seed, the
// row says so.
func TestInfoCells(t *testing.T) {
	ms := time.Millisecond
	m := matrix{
		ours:  []row{fakeRow(nameOurs, 30, 1, 500, 3*ms, 100)},
		log:   []row{fakeRow(nameLog, 30, 1, 1000, ms, 100)},
		floor: []row{fakeRow(nameFloor, 30, 1, 800, 2*ms, 100)},
		seed:  []row{fakeRow(nameSeed, 30, 1, 800, 6*ms, 50)},
	}
	got := strings.Join(infoCells(m, 0), "|")
	want := "30 KB × 1|1.50×|2.00×|0.80× (< 0.9: HTTP alone misses the rate target)|1.25× (< 1.5: no design that syncs passes)|1.00×|0.50×|n/a"
	if got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
	// And when the HTTP floor alone is over twice the log's CPU.
	m.floor[0].CPU.User = 2500 * time.Microsecond * 800
	if got := infoCells(m, 0)[2]; got != "2.50× (> 2: HTTP alone misses the CPU target)" {
		t.Errorf("http-floor vs log = %q", got)
	}
}

func TestImageSizeHoldsBiggestRow(t *testing.T) {
	for _, size := range []int{30 << 10, 300 << 10, 1 << 20} {
		if got, need := imageSize([]int{4096, size}), int64(rowCount(size))*int64(size); got < need {
			t.Errorf("imageSize for %d B PDUs = %d, below the %d a full row needs", size, got, need)
		}
	}
}

func TestPoolDeviceBytes(t *testing.T) {
	a := fakeRow("x", 30, 1, 10, time.Millisecond, 100)
	b := fakeRow("x", 30, 1, 30, time.Millisecond, 200)
	p := pool([]row{a, b})
	if !p.HasDev || p.DevPerMsg() != 175 {
		t.Errorf("pooled %v B/msg (HasDev %v), want (1000+6000)/40 = 175", p.DevPerMsg(), p.HasDev)
	}
	b.HasDev = false
	if pool([]row{a, b}).HasDev {
		t.Error("pooled device bytes with a round that had none")
	}
}
