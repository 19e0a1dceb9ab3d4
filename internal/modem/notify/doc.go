// Package notify texts the owner when a message is stored: it composes the
// notification, coalesces bursts and keeps a durable outbox that survives
// restarts and power loss.
//
// [Notifier.Feed] follows the store (a store.Subscription named "owner
// SMS") and calls [Notifier.Add] with each stored message on its own
// goroutine; Add returns once the item is written to pending.json in the
// outbox directory. The first
// message after a quiet spell is queued at once; later ones, until the
// coalescing window after that text has passed, collect into one batch,
// which then becomes one text: "9 new MMS: Alice 6, Bob 3 - 12 photos,
// 3 texts, 4.1 MB <link>". A single message reads `MMS from Alice: "Hi" -
// 2 photos, 1 text, 45 KB <link>`. With a zero window every message is
// its own text, even when several wait together (those Recover finds at
// start, or those that arrive while a text is being sent).
//
// A batch becomes one file per owner, out-<first item>-<owner>.json —
// names that a batch flushed again after a crash reproduces, so it is
// never queued twice; the ledger in state.json records the item IDs (the
// last 4096), and a pending.json left by a crash is filtered against the
// ledger and the outbox. Every write is atomic (temp file, rename); the
// durable ones add fsync of the file and of the directory. [Notifier.Recover], given the
// store's unseen messages at start, queues the ones a crash kept out of
// the ledger.
//
// One goroutine ([Notifier.Run]) sends, oldest first, one SMS at a time,
// at least MinSpacing apart. A text longer than one SMS is sent part by
// part. Right after each +CMGS: reply a line "<entry> <parts accepted>"
// is appended to sent.log and synced — one write on a file that already
// exists, the commit point of a send — so a restart resumes at the next
// part and never repeats one the modem took. Only then do the ledger
// (state.json, synced) and the removal of the entry file follow; the
// journal is emptied when the outbox is. On the path from a stored
// message to the modem the only synced write is the entry file; the
// batch file is written without sync, since after a power cut
// Recover finds the message in the store again. A
// temporary error (network, SIM busy, +CMS ERROR: 500, no registration,
// no modem) schedules a retry with exponential back-off; an absent modem
// does not use up attempts, and the modem's return makes every entry due.
// A permanent error (+CMS ERROR: 304 and the like, a bad number) drops the
// entry with a logged reason.
//
// # Specs
//
//   - 3GPP TS 23.040 §9.2.3.24.1 (concatenation reference per destination)
//   - 3GPP TS 27.005 §3.2.5 (+CMS ERROR causes; temporary vs permanent)
package notify
