// Package health answers the LAN listener's /healthz: 200 when the
// appliance can take a message now, 503 with the reasons when it cannot.
//
// A message can be taken when the MMSC listener serves and accepts
// connections, the store's filesystem takes a write and has room above
// the store's free-space floor, and the quota is not reached. Status is
// "failing" when the listener or the card fails, "degraded" when only
// space is short: the disk's floor or the quota reached, or a message
// refused for space that would still not fit (store.Stats.Full), which
// the quota check alone misses when the quota is nearly reached. The
// reply is JSON (status, problems, whether the clock is synchronised, free
// bytes, the store's last error) for a monitoring system or a person
// with curl. Warnings list what keeps phones on the internet out
// (carrier-grade NAT, no port mapping, a failed self-test:
// internal/reach); they do not make the reply 503, since the appliance
// still takes what reaches it.
//
// The write check creates, writes, closes and removes one small file in
// the store's directory: it catches a read-only remount, a full disk and
// an I/O error. It never makes /healthz wait on a hung SD card: a probe
// runs at most once per probeEvery in its own goroutine, and a check
// waits at most probeTimeout for it. [TestWrite] is the same write, with
// an fsync, for the systemd watchdog (internal/watchdog).
package health
