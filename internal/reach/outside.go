package reach

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"time"
)

// Limits of the outside check.
const (
	maxOutsideReply = 64 // an address as text, with room for white space
	outsideTimeout  = 15 * time.Second
)

// OutsideAddr returns a check that asks url which address its requests
// come from: a service that answers the caller's address as plain text
// (there is none by default; the owner names one, or runs one).
func OutsideAddr(client *http.Client, url string) func(context.Context) (netip.Addr, error) {
	return func(ctx context.Context) (netip.Addr, error) {
		ctx, cancel := context.WithTimeout(ctx, outsideTimeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return netip.Addr{}, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return netip.Addr{}, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(io.LimitReader(resp.Body, maxOutsideReply))
		if err != nil {
			return netip.Addr{}, err
		}
		a, err := netip.ParseAddr(strings.TrimSpace(string(b)))
		if resp.StatusCode != http.StatusOK || err != nil {
			return netip.Addr{}, fmt.Errorf("reach: %s answered HTTP %d %.20q, not an address", url, resp.StatusCode, b)
		}
		return a.Unmap(), nil
	}
}

// outsideChecks asks the outside check after each change of the
// router's address, as long as ctx lasts.
func (r *Reach) outsideChecks(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.recheck:
		}
		a, err := r.cfg.OutsideCheck(ctx)
		if ctx.Err() != nil {
			return
		}
		r.mu.Lock()
		r.outside, r.outsideErr = a, ""
		if err != nil {
			r.outsideErr = err.Error()
		}
		r.mu.Unlock()
		if err != nil {
			r.log.Warn("reach: outside check failed", "err", err)
		} else {
			r.log.Info("reach: the internet sees this home as", "addr", a)
		}
	}
}
