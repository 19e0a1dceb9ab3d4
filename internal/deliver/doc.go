// Package deliver delivers each stored message to the paired phones it is
// addressed to, as an operator's MMSC does (OMA-MMS-CTR §6, OMA-MMS-ENC
// §6): it notifies each recipient by WAP push through the outbox, serves
// the M-Retrieve.conf its MMS client fetches, follows the phone's reports
// until the message is retrieved, rejected or expired, and tells a sender
// who asked how the delivery went.
//
// # Flow
//
// When the store has a new M-Send.req, its To, Cc and Bcc numbers are
// matched against the paired phones (national and international forms of
// a number match: phones.SameNumber). Each paired recipient gets a
// random retrieve key and Transaction-Id and is notified:
//
//  1. M-Notification.ind (§6.2): Transaction-Id, MMS-Version, Message-Class,
//     Message-Size, Expiry (relative: what is left), Content-Location
//     http://<public-url>/m/<key> (SetPublicURL changes the base for the
//     notifications that follow, when the router maps another port), and
//     From and Subject when they fit one SMS. The Pusher sends it as a WAP push (WSP Push, X-Wap-Application-Id
//     mms.ua) in a binary SMS to port 2948.
//  2. The phone GETs the Content-Location and receives an M-Retrieve.conf
//     (§6.3) built from the stored PDU: see retrieveConf for the rules that
//     strict clients need. A wrong, expired, rejected or deleted key gets
//     an M-Retrieve.conf with X-Mms-Retrieve-Status 0xE2
//     (Error-permanent-message-not-found), HTTP 200, never a redirect.
//     When the M-Retrieve.conf is larger than the phone's size limit
//     (phones.Phone.Limit), Config.Fit (internal/adapt) makes its pictures
//     smaller for that phone; the notification then announces at most the
//     limit, since some phones do not fetch a message announced larger
//     than they take.
//  3. The phone POSTs, to its own MMSC URL, an M-NotifyResp.ind (§6.2) with
//     X-Mms-Status retrieved, deferred, rejected or unrecognised, or later,
//     after fetching a deferred message, an M-Acknowledge.ind (§6.4).
//     internal/mmsc routes both to Deliverer.Report.
//
// # States
//
// Per recipient: pending → notified → retrieved | rejected | expired, with
// deferred beside notified (the phone will fetch later). A recipient that
// is not retrieved, rejected or expired is notified again on the
// Schedule (by default after 10 min, 1 h, 6 h, then daily) with the same
// key and Transaction-Id, until the message expires: the configured
// expiry, or sooner when the M-Send.req's X-Mms-Expiry asks. (A message
// received while the system clock was not synchronised, as on a Pi that
// has just booted without a clock battery, has its wait counted again
// from the moment Config.Synced says it is: NTP's first sync may move the
// clock by years, which would otherwise expire it at once. Record.Unsynced
// marks such a record until then.) Run only
// decides what is due: each notification and each delivery report is an
// item in the appliance's one outbox (internal/outbox, kinds KindPush and
// KindReport, beside the owner's texts), which sends it through the modem,
// spaced from the other sends, retrying a temporary error after 30 s,
// doubling up to 30 min, until the message expires; an error the modem
// calls permanent (a number the network refuses) ends in failed. The
// recipient's Queued names its item meanwhile, so a crash neither loses it
// nor queues it twice. A phone that
// fetched after its last notification but never reported counts as
// retrieved when the next notification would be due, rather than being
// shown the message twice. Recipients that are not paired phones are kept:
// the message stays for the owner, whose SMS says so.
//
// When the sender is a paired phone and asked for a delivery report
// (X-Mms-Delivery-Report yes), an M-Delivery.ind (§6.9: Message-ID, To,
// Date, X-Mms-Status) goes to it by WAP push once the recipient retrieved,
// rejected or let the message expire, unless the recipient's phone said
// X-Mms-Report-Allowed no (§7.3.47); it is retried up to 10 times.
//
// A summary per recipient (address, phone, state, when) also goes to the
// message's metadata in the store (store.Meta.Delivery, SetDelivery), for
// the inbox: from one publisher goroutine, off the Deliverer's lock, and
// once for every record at start.
//
// Each message's state is one JSON file, <dir>/<message id>.json, written
// atomically (temp file, fsync, rename, fsync of the directory) at every
// change, so a restart resumes where it stopped; keys keep working across
// restarts. <dir>/since.json records when delivery was first turned on:
// at start, Recover picks up messages stored since then that never got a
// record (a crash between the store's commit and the record), not the
// messages of before.
//
// # Retrieve keys
//
// A key is 128 random bits in 26 base32 characters. The index maps the
// HMAC-SHA256 of a key under a per-process secret to its recipient, so
// every lookup, right or wrong, costs one HMAC and one map lookup of a
// digest: the time does not depend on how close a guess is, and there is
// no sequence to enumerate. Transaction-Ids are 80 random bits: they only
// correlate reports, which must also come from the recipient's token URL
// (or, on the open endpoint, carry a Transaction-Id only the recipient
// was sent).
//
// # The SMS fallback and the browser page
//
// A phone whose carrier drops WAP push can be set (phones.Phone.Fallback)
// to also get, with its first notification, a plain SMS: "MMS from Anna:
// "Hi" - view it at http://<public-url>/v/<key>". /v/<key> is a small
// HTML page of the message for a browser, on the same unguessable key:
// text parts escaped, JPEG/PNG/GIF/WebP images inline, other parts as
// downloads, under a Content-Security-Policy that allows no script and
// nothing from elsewhere. /m/<key> stays the MMS client's URL: telling a
// browser from an MMS client by its Accept header is unreliable. Opening
// the page counts as a fetch (one durable write of the record); loading
// its images and downloads (/v/<key>/<n>) does not write again.
//
// # Self-test
//
// SelfTest sends a notification for a small test message kept in memory
// and waits for the phone to fetch it: the answer to "does my carrier
// let my phone reach my own MMSC?", with the address the fetch came from
// (often the carrier's proxy) and the MMS client's User-Agent.
//
// # Logs and counters
//
// Every change of a recipient's state has its log line, with the message
// id and the phone's name: "deliver: notified" (each notification, with
// its number), "deliver: phone reported" (with the PDU, its status and
// the states before and after), "deliver: expired", "deliver: fetched
// without a report", "deliver: notification not sent" (permanent=true
// when it failed for good); each GET of a link logs "deliver: retrieve"
// and each delivery report "deliver: delivery report sent" or "given
// up". Stats counts the same events (pushes, fetches, phone reports,
// states entered, delivery reports) for the appliance's /metrics.
//
// # Limits
//
// At most 64 recipients per message are looked at; a stored PDU is read
// up to mms.MaxPDU; records are read back up to 1 MiB; User-Agent and
// remote address are kept up to 256 and 64 bytes; two self-tests at once.
//
// # Specs
//
//   - OMA-MMS-ENC-V1_3 §6.2 (M-Notification.ind, M-NotifyResp.ind), §6.3
//     (M-Retrieve.conf), §6.4 (M-Acknowledge.ind), §6.9 (M-Delivery.ind),
//     §7.3.50 (X-Mms-Retrieve-Status), §7.3.54 (X-Mms-Status)
//   - OMA-MMS-CTR §8 (the MMS client-proxy transactions)
//   - WAP-230-WSP §8.2.4.1 (Push PDU), §8.4.2.24 (multipart content type,
//     start and type), RFC 2387 (multipart/related)
package deliver
