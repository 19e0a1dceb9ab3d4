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
// The disk check ([CheckDisk]) writes nothing: the SD card outlives the
// box only if an idle appliance leaves it alone. statfs(2) catches a
// read-only remount; an fsync(2) of the store's directory, which has
// nothing to flush while the store is idle, still sends the card a cache
// flush and waits for it, so it catches a hung card; a full disk shows in
// the store's free bytes. It never makes /healthz wait on a hung card:
// a check runs at most once per probeEvery in its own goroutine, and
// /healthz waits at most probeTimeout for it. The systemd watchdog
// (internal/watchdog) runs the same check.
//
// What each way of checking costs the card, measured on an ext4 image
// with its journal on a loop device (BenchmarkDiskChecks; the journal
// committed after each check, as its 5 s commit interval does between
// checks 10 s apart):
//
//	go test -run '^$' -bench DiskChecks -benchtime 200x ./internal/health
//
//	                                device bytes per check   a day at one per 10 s
//	create, write, fsync, remove    90 KB                    780 MB
//	create, write, remove           49 KB                    425 MB
//	CheckDisk                       0                        0
//
// (The first was the watchdog's probe, the second /healthz's. A day of
// the appliance idle is measured as a whole by cmd/appliance's wear
// benchmark.)
package health
