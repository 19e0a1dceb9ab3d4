package display

import "github.com/homemmsc/homemmsc/internal/modem"

// ModemOf is SourceConfig.Modem for a modem whose status is status, with
// queued messages waiting to be sent: nil while the modem is absent.
func ModemOf(status func() modem.Status, queued func() int) func() *Modem {
	return func() *Modem {
		st := status()
		if !st.Present {
			return nil
		}
		return &Modem{Registered: st.Registered, Signal: modem.Bars(st.Signal), Outbox: queued()}
	}
}
