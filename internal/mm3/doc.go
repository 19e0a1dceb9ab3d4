// Package mm3 forwards stored messages to the owner's mailbox: each MMS
// becomes one e-mail sent through an SMTP submission server, the MM3
// reference point of 3GPP TS 23.140 (an MMSC's interface to "external
// servers", e-mail first among them), as Mbuni and NowSMS do it.
//
// # The e-mail
//
//	From: "Anna's phone via homemmsc" <homemmsc@example.org>   (the sender as the inbox names it)
//	To: the configured recipients
//	Subject: the MMS subject, or "MMS from <sender>"
//	Date: when the appliance received it
//	Message-ID: <20260314-120000-000001.mms@example.org>       (from the store id)
//	X-MMS-Sender: +15551234567 (proven: the paired phone's token) | (claimed by the message, not proven)
//	Content-Type: multipart/mixed
//
// The parts follow in the order of the message's SMIL presentation
// (internal/smil; the rest after it in PDU order, nested multiparts
// flattened, none dropped): each text/plain part inline as UTF-8,
// converted from its charset, quoted-printable; every other part — the
// pictures, sound, video, vCards, the SMIL itself — an attachment under
// its own name (made safe: no directories, no control characters;
// part-NN.ext when it has none; "-2" added to a repeated one), base64.
// The From address is the configured one, not the phone's, so that the
// owner's mail provider accepts it (SPF, DMARC); the sender is in the
// display name. The Message-ID is the same each time a message is sent,
// so a retry after a lost reply shows as the same e-mail. Text from the
// phone reaches a header only with line ends and control characters
// removed and non-ASCII words encoded (RFC 2047).
//
// # Sending
//
// One connection per message, to Config.Host: STARTTLS on port 587 (the
// server must offer it: nothing is sent in the clear) or TLS from the
// first byte on 465, the certificate checked against the system's roots;
// AUTH PLAIN with the user and the password (read from a file by the
// appliance, never a flag); MAIL, a RCPT per recipient, DATA streamed
// from the stored PDU. The whole dialogue has a deadline (60 s: the
// outbox sends one item at a time).
//
// What happens on failure is the caller's (the durable outbox): Temporary
// tells an error worth retrying — the server unreachable, a 4xx reply,
// or the login refused (the owner has to fix the password; the message
// waits for that) — from a permanent one: a 5xx reply to MAIL, RCPT or
// DATA, or a message gone from the store. A refused recipient fails the
// message before DATA, so a retry cannot deliver it twice.
//
// # Once per message
//
// Ledger.Feed hands each arriving message's id to the outbox (a store
// Subscription, so a slow outbox never holds up a phone's request), and
// at start the ones stored since forwarding was turned on that the
// outbox is not done with. The Ledger keeps, under its directory, where
// forwarding started (the newest message when it was turned on: the
// archive, and what arrived while the appliance ran with forwarding off,
// is not mailed) and an append-only log of the messages the
// outbox is done with (sent, or given up at its expiry), written when the
// outbox reports it — before it forgets the item — so neither a restart
// nor a message seen twice queues an e-mail again.
//
// # Specs
//
//   - 3GPP TS 23.140 §8 (MM3); RFC 5322 (the message), RFC 2045-2047 and
//     RFC 2183, RFC 2231 (MIME, file names)
//   - RFC 6409 (submission), RFC 3207 (STARTTLS), RFC 8314 (implicit TLS),
//     RFC 4954 and RFC 4616 (AUTH PLAIN), RFC 3463 (enhanced status codes)
package mm3
