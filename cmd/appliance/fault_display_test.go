package main

// I²C errors from the display (issue 5): the real SSD1306 driver and
// drawing loop on a bus that starts failing (a loose wire, a panel that
// lost power: i2c-dev returns EREMOTEIO). The MMSC handler, on the same
// store, keeps storing; the loop says once that the panel stopped
// answering, and when the bus works again it initialises the panel
// afresh and draws the current status.

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/conn/v3/physic"

	"github.com/homemmsc/homemmsc/internal/display"
	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/mmsc"
	"github.com/homemmsc/homemmsc/internal/store"
)

// flakyBus fails every transaction while broken and records the others
// (i2ctest.Record, no device behind it).
type flakyBus struct {
	mu     sync.Mutex
	broken bool
	fails  int
	rec    i2ctest.Record
}

func (b *flakyBus) Tx(addr uint16, w, r []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.broken {
		b.fails++
		return fmt.Errorf("i2c-1: write to %#x: %w", addr, syscall.EREMOTEIO)
	}
	return b.rec.Tx(addr, w, r)
}

func (b *flakyBus) SetSpeed(physic.Frequency) error { return nil }
func (b *flakyBus) String() string                  { return "flaky-i2c" }

func (b *flakyBus) set(broken bool) (fails int, ops []i2ctest.IO) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.broken = broken
	ops, b.rec.Ops = b.rec.Ops, nil
	return b.fails, ops
}

func TestFaultDisplayI2CErrors(t *testing.T) {
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		st, err := store.Open(store.Config{Dir: dir, MinFree: -1})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		h := mmsc.NewHandler(mmsc.Config{Store: st, Open: true})
		bus := &flakyBus{}
		cfg := display.DriverConfig{Panel: display.Panel128x64, Addr: 0x3C}
		reopen := func() (display.Screen, error) { return display.OpenI2C(bus, cfg) }
		screen, err := reopen()
		if err != nil {
			t.Fatal(err)
		}
		var logs strings.Builder // read only after synctest.Wait, as in internal/display's tests
		stop := display.Follow(context.Background(), display.FollowConfig{
			Screen: screen, Reopen: reopen, OffAfter: time.Hour, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
			Source: display.NewSource(display.SourceConfig{Store: st, Listen: "192.168.1.20:8080", Synced: func() bool { return true }}),
		})
		synctest.Wait()
		if _, ops := bus.set(true); !hasFrame(ops) {
			t.Fatalf("no frame drawn before the fault: %d transactions", len(ops))
		}

		for i := range 3 { // the bus fails: messages still arrive
			postInProcess(t, h, fmt.Sprintf("i2c-down-%d", i))
			synctest.Wait()
		}
		fails, _ := bus.set(false)
		if fails == 0 {
			t.Fatal("the loop did not touch the failing bus")
		}
		if n := strings.Count(logs.String(), "panel not responding"); n != 1 {
			t.Errorf("%d 'panel not responding' lines for %d failed transactions, want 1:\n%s", n, fails, logs.String())
		}

		postInProcess(t, h, "i2c-back") // the next change redraws on a fresh panel
		synctest.Wait()
		_, ops := bus.set(false)
		if !hasInit(ops) || !hasFrame(ops) {
			t.Errorf("after the bus came back: init %v, frame %v (%d transactions)", hasInit(ops), hasFrame(ops), len(ops))
		}
		if !strings.Contains(logs.String(), "panel responding again") {
			t.Errorf("recovery not logged:\n%s", logs.String())
		}
		if n := st.Stats().Messages; n != 4 {
			t.Errorf("%d messages stored, want 4", n)
		}
		stop()
	})
}

// postInProcess posts an M-Send.req to h and requires Ok.
func postInProcess(t *testing.T, h http.Handler, tid string) {
	t.Helper()
	b := append([]byte{0x8C, 0x80, 0x98}, tid...)
	b = append(b, 0, 0x8D, 0x92, 0x84, 0x83) // MMS 1.2, Content-Type: text/plain
	b = append(b, "hello"...)
	req := httptest.NewRequest(http.MethodPost, "/mms?n=%2B15551230000", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/vnd.wap.mms-message")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	c, err := mms.Decode(rec.Body.Bytes())
	if err != nil || c.ResponseStatus != mms.StatusOk {
		t.Fatalf("%s with the display failing: HTTP %d, %v %v", tid, rec.Code, c, err)
	}
}

// hasInit reports whether ops contain the SSD1306 "display off" that
// opens its init sequence (command stream 0x00, then 0xAE).
func hasInit(ops []i2ctest.IO) bool {
	for _, op := range ops {
		if len(op.W) >= 2 && op.W[0] == 0x00 && op.W[1] == 0xAE {
			return true
		}
	}
	return false
}

// hasFrame reports whether ops write display RAM (control byte 0x40)
// with at least one lit pixel.
func hasFrame(ops []i2ctest.IO) bool {
	for _, op := range ops {
		if len(op.W) > 1 && op.W[0] == 0x40 && slices.ContainsFunc(op.W[1:], func(b byte) bool { return b != 0 }) {
			return true
		}
	}
	return false
}
