package display

import "github.com/homemmsc/homemmsc/internal/reach"

// ReachMark is SourceConfig.Net for r: the screen's reachability mark
// and banner word; nil without reachability checks.
func ReachMark(r *reach.Reach) func() (Net, string) {
	if r == nil {
		return nil
	}
	return func() (Net, string) {
		s := r.Status()
		net := map[reach.Verdict]Net{reach.Off: NetOff, reach.Unknown: NetUnknown,
			reach.Reachable: NetOK, reach.Unreachable: NetDown}[s.Verdict()]
		return net, s.Trouble()
	}
}
