package display

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/homemmsc/homemmsc/internal/store"
)

// followQueue bounds the store's events waiting for the display.
const followQueue = 8

// FollowConfig is a screen to keep showing the store's state.
type FollowConfig struct {
	Screen   Screen
	Reopen   func() (Screen, error) // see Config.Reopen
	Source   *Source
	OffAfter time.Duration                       // 0 = never
	Button   func(context.Context, func()) error // watches a push button, calling press; nil = none
	Logger   *slog.Logger
}

// Follow runs the drawing loop on cfg.Screen, redrawn at each change of
// the source's store (a Subscription named "display"); a press of the
// button marks every message seen. stop ends the loop and the button's
// watch.
func Follow(ctx context.Context, cfg FollowConfig) (stop func()) {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	st := cfg.Source.cfg.Store
	offAfter := cfg.OffAfter
	if offAfter == 0 {
		offAfter = -1 // never
	}
	loop := New(Config{
		Screen: cfg.Screen, Reopen: cfg.Reopen, Status: cfg.Source.Status, Now: cfg.Source.cfg.Now, OffAfter: offAfter, Logger: log,
		Press: func() {
			if err := st.MarkAllSeen(); err != nil {
				log.Error("display: button: marking all seen", "err", err)
			}
		},
	})
	// Any change redraws, and a change does not say what it was: a queue
	// of a few is plenty, and a Resync after a flood redraws as well.
	sub := st.Subscribe("display", followQueue)
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		sub.Run(ctx, func(store.Event) {
			cfg.Source.StoreChanged()
			loop.Changed()
		})
	})
	wg.Go(func() { loop.Run(ctx) })
	if cfg.Button != nil {
		wg.Go(func() {
			if err := cfg.Button(ctx, loop.Pressed); err != nil {
				log.Warn("display: button", "err", err)
			}
		})
	}
	return func() {
		cancel()
		wg.Wait()
	}
}
