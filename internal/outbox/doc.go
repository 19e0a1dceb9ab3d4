// Package outbox is the appliance's one durable queue of things to send:
// the owner's SMS (internal/modem/ownersms), the WAP pushes and delivery
// reports to paired phones (internal/deliver), and any later transport
// (e-mail). Each item is persisted, sent when due, retried with
// exponential back-off on a temporary error, given up after MaxAttempts
// or its expiry, and survives a restart; one goroutine (Run) sends, one
// item at a time, at least MinSpacing apart, because the items of the
// modem's kinds share the modem.
//
// # Items and kinds
//
// An Item has an ID unique in the outbox (a deterministic one makes Add
// idempotent: the same item added again after a crash is not queued
// twice), a Kind, and a Payload the kind's Handler reads. A Handler,
// registered with Handle for its kind, sends an item (Send) and is told
// the outcome (Done): nil once sent, the error when given up. The outbox
// knows nothing of SMS or MMS; a third transport plugs in with a Handler
// of its own kind and its own Temporary and Absent rules.
//
// # On disk
//
// One file per item, <kind>-<id>.json, written atomically and durably
// (temp file, fsync, rename, fsync of the directory) by Add and after
// each failed attempt; progress.log, a line "<file> <steps>" or
// "<file> done" appended and fsynced as a Handler reports a step (one SMS
// part the modem accepted) and once an item is sent. That line is the
// commit point of a send: a restart resumes at the next step and never
// repeats one, and an item sent just before a crash is not sent again;
// its Done is called again instead, so a Handler's Done must be
// idempotent. The item's file is removed after Done; the journal is
// emptied when the outbox is. An unreadable file is renamed .bad so it
// does not block the queue.
//
// # Errors
//
// Temporary (per kind; all errors if nil) tells an error worth retrying:
// the next attempt comes MinBackoff later, doubling up to MaxBackoff.
// Absent (per kind) tells an error that says the transport is missing (a
// modem unplugged): it is retried the same way but uses no attempt. When
// a kind's Ready channel closes (the modem is back), every waiting item
// of that kind is due at once. Any other error gives the item up.
//
// MinSpacing keeps the sends through the shared modem apart, whatever
// their kind; a kind marked Unspaced (e-mail) goes out without waiting
// for it. One goroutine sends everything, so a slow transport (an SMTP
// server taking its time) delays the others by as long as its attempt
// takes.
package outbox
