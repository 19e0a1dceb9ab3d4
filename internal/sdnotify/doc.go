// Package sdnotify tells systemd how the service is doing: the
// sd_notify(3) protocol, in the standard library only.
//
// A unit with Type=notify starts the process with NOTIFY_SOCKET set to
// the path of a Unix datagram socket. The process sends datagrams of
// newline-separated KEY=VALUE assignments to it:
//
//	READY=1        start-up is done: systemd marks the unit active (a
//	               Type=notify unit is "activating" until then, and
//	               dependent units wait)
//	STOPPING=1     shutdown has begun
//	STATUS=text    one line shown by `systemctl status`
//	WATCHDOG=1     a keep-alive ping
//
// A path that starts with '@' names a socket in Linux's abstract
// namespace (the '@' stands for a leading NUL byte); Go's net package
// translates it. Without NOTIFY_SOCKET (run by hand, under a test, by
// another supervisor) a Notifier does nothing and reports no error, so
// callers need no "am I under systemd" branch.
//
// # Watchdog
//
// With WatchdogSec= in the unit, systemd sets WATCHDOG_USEC to that
// interval in microseconds and WATCHDOG_PID to the pid it expects the
// pings from; when no WATCHDOG=1 arrives within the interval it kills
// the service with SIGABRT and (Restart=on-failure) starts it again.
// WatchdogInterval returns the interval only when both variables are
// valid and WATCHDOG_PID, if set, is this process: a child that inherited
// the environment must not feed its parent's watchdog. sd_watchdog_enabled
// and sd_notify recommend pinging at half the interval. What the pings
// prove is the caller's business: a goroutine that pings on a timer
// proves only that the Go scheduler runs.
//
// # Specs
//
//   - sd_notify(3), sd_watchdog_enabled(3), systemd.service(5)
//     (Type=notify, WatchdogSec=, NotifyAccess=).
//   - unix(7): abstract socket addresses.
package sdnotify
