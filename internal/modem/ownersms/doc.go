// Package ownersms texts the owner when a message is stored: it composes
// the text, gathers a burst of messages into one, and hands each text to
// the appliance's outbox (internal/outbox), which sends it through the
// modem and survives restarts and power loss.
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
// A batch becomes one text per owner, an item of kind "owner-sms" in the
// appliance's one outbox (internal/outbox), whose id is made from the
// batch's first message and the owner: a batch flushed again after a
// crash is never queued twice. The ledger in state.json records the item
// IDs (the last 4096), written durably when the batch goes to the outbox;
// a pending.json left by a crash is filtered against the ledger and the
// outbox. The batch file is written without sync, since after a power cut
// Recover finds the message in the store again. [Notifier.Recover], given
// the store's unseen messages at start, queues the ones a crash kept out
// of the ledger.
//
// The outbox sends, one SMS at a time through the shared modem, at least
// its MinSpacing apart (-notify-spacing), oldest first. A text longer than
// one SMS is sent part by part, each part accepted by the modem an outbox
// step recorded durably, so a restart resumes at the next part and never
// repeats one the modem took. A temporary error (network, SIM busy, +CMS
// ERROR: 500, no registration) is retried with exponential back-off; an
// absent modem does not use up attempts, and the modem's return makes
// every item due. A permanent error (+CMS ERROR: 304 and the like, a bad
// number) drops the text with a logged reason. Texts queued by a version
// before the shared outbox (out-*.json, sent.log) are moved into it at
// Open.
//
// # Specs
//
//   - 3GPP TS 23.040 §9.2.3.24.1 (concatenation reference per destination)
//   - 3GPP TS 27.005 §3.2.5 (+CMS ERROR causes; temporary vs permanent)
package ownersms
