// Package watchdog runs the appliance as a systemd Type=notify service
// (board/homemmsc.service), with the sd_notify protocol of internal/sdnotify:
// READY=1 once the store is open and the listener bound, a STATUS line,
// watchdog pings that prove the MMSC still serves, STOPPING=1 when
// shutdown begins.
//
// What a stuck appliance looks like, and what each probe catches:
//   - the accept loop or the handlers are wedged (a deadlock, every
//     descriptor used up, a runaway goroutine starving the rest): phones
//     connect and wait. The probe makes a real HTTP request over a new
//     loopback connection to the MMSC listener and needs an answer, or at
//     least the prompt close of a listener whose connection slots are all
//     taken (see listenerStuck).
//   - the store's lock is held forever: Put and Stats block. The probe
//     calls Stats.
//   - the SD card hangs (fsync never returns, the usual end of a cheap
//     card): Put blocks in fsync. The probe fsyncs the data directory,
//     which writes nothing while it is unchanged but sends the card a
//     cache flush and waits for it (health.CheckDisk). Writing a file at
//     every probe, as this did before, cost the card about 140 MB a day.
//
// A probe that returns an error is not a hang: a full or read-only disk
// answers at once, and the MMSC then tells phones "transient failure"
// itself, which a restart would not fix. Only the listener probe's error
// counts (nothing answered in time); the disk's error goes into STATUS.
// A probe that never returns stops the pings, and systemd kills and
// restarts the service after WatchdogSec.
package watchdog
