// Package floor holds the floor designs of issue 14: the cheapest
// correct ways to make a message durable on one file system, against
// which the store (internal/store's BenchmarkWear) and the whole
// appliance over HTTP (cmd/mmsload -compare) are measured for device
// bytes, CPU and rate. They are measuring sticks, not stores: nothing
// indexes, lists or deletes what they hold.
//
//   - Log is the log design: one append-only file; each message is
//     appended as one record and made durable with fdatasync(2) before
//     Append returns; concurrent writers share one fdatasync (group
//     commit). This is the floor the targets are stated
//     against.
//   - Files is the file design: one new file per message, written and
//     fdatasync'ed, then an fsync(2) of the directory, shared by
//     concurrent writers.
//
// Both carry their own group commit, a dozen lines (groupSync): at most
// one sync runs at a time, and a writer that arrives while one runs
// waits for the next, which covers every writer that arrived meanwhile.
// The store has its own, richer one (per-generation errors); this one
// keeps the first error for good, which is what a log must do after a
// failed fdatasync (the kernel may have dropped the dirty pages).
//
// # Log format
//
// A record is the message's length as 4 bytes big-endian, then its
// bytes, written with one writev(2) on a file opened O_APPEND. The
// length prefix is what makes the log readable back (ReadLog): 4 bytes
// a message, 0.01 % of a 30 KB one.
//
// # Limits
//
// A record holds at most MaxRecord bytes; Append returns ErrTooLarge
// above it.
//
// # Specs
//
//   - fdatasync(2), fsync(2) (Linux): what is durable when they return;
//     fsync of a directory makes a new entry in it durable.
//   - writev(2): one call appends the header and the message; with
//     O_APPEND the pair lands at the end of the file together.
package floor
