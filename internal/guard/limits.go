package guard

import (
	"fmt"
	"math"
)

// Limits checks the MMSC listener's protections as the -rate, -rate-burst
// and -conns-per-client flags give them and returns its request guards and
// connection caps. perClient 0 means no cap of its own: the total applies.
func Limits(rate float64, burst, perClient int) (Config, ConnConfig, error) {
	switch {
	case rate < 0 || math.IsNaN(rate) || math.IsInf(rate, 0):
		return Config{}, ConnConfig{}, fmt.Errorf("-rate %v: want 0 or a positive number", rate)
	case burst < 1:
		return Config{}, ConnConfig{}, fmt.Errorf("-rate-burst %d: want at least 1", burst)
	case perClient < 0:
		return Config{}, ConnConfig{}, fmt.Errorf("-conns-per-client %d: want 0 or more", perClient)
	}
	conns := ConnConfig{PerClient: perClient}
	if perClient == 0 {
		conns.PerClient = DefaultTotal
	}
	return Config{Rate: rate, Burst: burst}, conns, nil
}
