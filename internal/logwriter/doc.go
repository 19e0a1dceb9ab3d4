// Package logwriter keeps a stalled log sink from stalling the program.
//
// The appliance logs to stderr, which systemd hands to journald. When
// journald stalls (a full or slow SD card, journald restarting, rate
// limits), a write to stderr blocks once the pipe's 64 KiB are full, and
// with it every request handler that logs: a phone's post would wait on
// the journal. A Writer never blocks its callers: Write copies the line
// into a bounded queue and returns, and one goroutine writes the queue
// to the sink. When the queue is full, lines are dropped and counted;
// once the sink takes lines again, a line saying how many were lost is
// written before the next ones.
//
// slog's handlers make one Write per record, so a dropped Write is a
// dropped line, never half of one.
package logwriter
