package display

import (
	"context"
	"log/slog"
	"time"
)

// StartConfig is a display to open and follow (Start).
type StartConfig struct {
	Name     string                              // as the flag gave it, for the log
	Spec     Spec                                // not Kind "none"
	Bus      string                              // I²C bus name or number; "" = the first one
	GPIO     string                              // the button's GPIO name, e.g. GPIO17; "" = no button
	Button   func(context.Context, func()) error // if set, used instead of GPIO
	Watch    *Watch                              // if set, follows the panel's state for /metrics
	Source   SourceConfig
	OffAfter time.Duration // 0 = never
	Logger   *slog.Logger
}

// Start opens the display and follows the store on it; stop blanks it
// and releases the hardware. When the panel cannot be opened it logs one
// line and returns a stop that does nothing: the rest of the appliance
// goes on without a display.
func Start(ctx context.Context, cfg StartConfig) (stop func()) {
	log := cfg.Logger
	screen, reopen, release, err := Open(cfg.Spec, cfg.Bus)
	if err != nil {
		log.Warn("display absent; running without it", "display", cfg.Name, "err", err)
		cfg.Watch.Set(StateAbsent)
		return func() {}
	}
	screen, reopen = cfg.Watch.Wrap(screen), cfg.Watch.WrapReopen(reopen)
	if cfg.GPIO != "" && cfg.Button == nil {
		if cfg.Button, err = GPIOButton(cfg.GPIO); err != nil {
			log.Warn("display: no button", "err", err)
		}
	}
	log.Info("display: started", "screen", screen.String(), "size", cfg.Spec.Driver.Panel.String())
	stopFollow := Follow(ctx, FollowConfig{
		Screen: screen, Reopen: reopen, Source: NewSource(cfg.Source),
		OffAfter: cfg.OffAfter, Button: cfg.Button, Logger: log,
	})
	return func() { stopFollow(); release() }
}
