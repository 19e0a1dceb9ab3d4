// Package inbox is the owner's web inbox: an http.Handler, served only on
// the appliance's LAN listener (-lan), that lists and shows the stored
// messages, pairs phones, shows the appliance's status and downloads
// backups. Pages are rendered on the server with html/template from
// embedded templates and one small style sheet; there is no JavaScript
// at all, so a Pi Zero serves them quickly and any phone's browser shows
// them.
//
// # Pages
//
//	/                 the conversations: one row per correspondent (see below),
//	                  newest first, with message and unread counts and the last
//	                  message's subject, else the start of its text (read for
//	                  the first 50 rows), else what it holds
//	/thread?with=K    one conversation, a page of 30 messages in time order as
//	                  bubbles (the household's / theirs): pictures inline, text,
//	                  other parts as named downloads; showing marks them seen
//	/messages         the flat list, newest first (store order): sender, time
//	                  ("?" when the clock was not synchronised), subject,
//	                  thumbnails, new/seen; search by sender, subject, date range,
//	                  new only; paging (?page=, ?n= rows, at most 5,000)
//	/m/{id}           a message: parts in the order of its SMIL presentation (the
//	                  rest after, in PDU order; nested multiparts flattened; none
//	                  dropped), images inline, text decoded from its charset,
//	                  audio and video as players, anything else as a download;
//	                  opening it marks it seen; mark new; delete (with a
//	                  confirmation page); with delivery to paired phones, each
//	                  recipient's state from store.Meta.Delivery
//	/m/{id}/part/{p}  one part (?dl=1: as a download); p is "2", or "2.0" inside
//	                  a nested multipart
//	/m/{id}/original  the PDU as received, as <id>.mms
//	/phones           pair a phone (name, number → token, MMSC URL and its QR
//	                  code), the last request each phone made (time, address,
//	                  User-Agent, x-wap-profile), remove (after a confirmation
//	                  page, /phones/remove?number=); the SMS fallback switch
//	                  (Phones.SetFallback), the largest message the phone takes
//	                  (Phones.SetMaxMessage; internal/adapt makes larger ones
//	                  fit) and the reachability test. Every form
//	                  answers with a redirect (Post/Redirect/Get) and the page it
//	                  leads to says what was done (a notice kept in the session
//	                  for one page); pairing leads to /phones?added=<number>,
//	                  which shows the new phone's URL and QR code on reload too
//	                  (the number is in the URL, never the token)
//	/status           version, uptime, messages, store size, free disk, the last
//	                  store error, and the appliance's rows (Config.Status:
//	                  clock, modem, display, reachability from internal/reach,
//	                  errors)
//	/backup           a zip of everything or of a date range, streamed
//	/backup.xml       the same selection as an SMS Backup & Restore file, to
//	                  restore into an Android phone (internal/smsxml)
//
// # Senders and conversations
//
// Only a message a paired phone's token proved (store.Sender.Proven) is
// shown with a phone's name, the name the phone has now. A sender from
// the PDU's From or ?n= is a claim: shown as the address (without its
// /TYPE= suffix), marked "claimed", whatever phone has that number.
// Numbers are matched as the phone registry matches them
// (phones.SameNumber: "07700 900123" is "+447700900123").
//
// A conversation is the household's messages with one correspondent: a
// proven message is the household's, and its correspondents are its To
// addresses (several make a group); any other message is from its
// sender. The conversations page makes one pass over the store's index
// (store.Summary carries the To addresses) and reads only each
// conversation's newest message from the journal; a thread reads the
// PDUs of its page.
//
// # Names
//
// Each part has one name (nameLeaves): the sender's name for it made
// safe, else the store's part-NN.ext, with "-2" added to a repeated name.
// The message page labels its download with it, the download saves under
// it, and the backup zip holds it under it, with meta.json's "file"
// rewritten to match. WBMP pictures (old phones) are converted to PNG to
// be shown (and thumbnailed); their download is the WBMP as sent.
//
// The reachability test (Config.SelfTest, the deliverer's self-test)
// waits minutes for the phone to fetch, so POST /phones/test starts it in
// a goroutine and redirects at once; the page shows "running…" and then
// the last result, kept per phone in memory. One test runs per phone at
// a time, and Close cancels those still running.
//
// Seen/new is the store's own flag (Store.SetSeen), so the OLED's count
// of new messages and the inbox agree.
//
// # Authentication
//
// One password. Its PBKDF2-HMAC-SHA256 hash (crypto/pbkdf2, 600,000
// iterations, 16-byte random salt; "pbkdf2-sha256$iter$salt$key") comes
// from Config.PasswordHash (the appliance's -inbox-password-file) or from
// Dir/password, which the first visit writes: while no password exists,
// every page leads to /setup, which accepts a password only from a
// loopback or private address and only with the one-time setup code:
// six random digits made at each start, logged and shown on the OLED
// (Handler.SetupCode), compared in constant time; five wrong codes use it
// up until a restart. So the first visitor on the LAN (a guest on the
// Wi-Fi) cannot choose it: only whoever sees the box's screen or log. Once set it is changed by removing the file (or with
// -inbox-password-file).
//
// A login creates a server-side session: a 256-bit random id in a
// cookie (HttpOnly, SameSite=Strict, Secure over TLS), stored hashed, that
// ends after 12 hours unused or 7 days after login, or at a restart.
// Every POST carries the session's CSRF token, compared in constant time;
// the login and setup forms use a double-submit cookie instead; and Go's
// http.CrossOriginProtection refuses cross-site POSTs before any of it.
// After 5 wrong passwords from one address each further one locks that
// address out for twice as long as the last (1 s ... 15 min); after 20
// from all addresses together the same applies to everyone, so guessing
// from many addresses is slowed too (at the cost that a flood of wrong
// passwords can delay the owner's own login). Hashing runs one at a time.
//
// # Safety of what a message holds
//
// Everything in a message — subject, sender, part names, text — comes
// from a phone and is escaped by html/template wherever it appears. Only
// raster images (PNG, JPEG, GIF, WebP, BMP, WBMP as PNG), audio/*, video/* and
// text/plain are shown inline; text is served as UTF-8 text/plain after
// conversion from its charset. HTML, SVG, vCard, PDF, SMIL and every
// unknown type are served as application/octet-stream with
// Content-Disposition: attachment, and a download's file name is the
// sender's name with path separators and control characters removed. All
// responses carry X-Content-Type-Options: nosniff and
//
//	Content-Security-Policy: default-src 'none'; img-src 'self'; style-src 'self';
//	  media-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'
//
// (parts and originals add "sandbox"). No script is allowed, none is used.
//
// # Thumbnails
//
// Made when the list first shows one, never when a message arrives, one
// at a time, from images of at most 40 megapixels: decoded, scaled to fit
// 160 px and cached as JPEG under Dir/thumbs/ (an undecodable part is
// remembered as an empty .none file). They go when their message is
// deleted. BenchmarkThumbnail measures one.
//
// # Backup
//
// /backup.zip streams a zip, one message at a time: README.txt, then a
// folder per message (its id) with message.mms (the PDU byte for byte),
// meta.json (the store's metadata) and every part under its sender's name
// made safe (part-NN.ext when it had none; "-2" added to a repeated
// name). Media are stored, text deflated.
//
// # Speed
//
// Measured on a 2-vCPU amd64 VM, 5,000 messages from 40 senders in the
// store; the pages with -bench List at load average 16 (other jobs
// running: the wall time varies threefold, the CPU time per page far
// less), the thumbnail and the login at load average 2.7:
//
//	go test -run '^$' -bench 'List|Thumbnail|CheckPassword' -benchtime 20x -count 3 ./internal/inbox/
//
//	list, default page of 50 rows     1.4-5.6 ms   (33 KB; 1.4-1.8 ms of CPU)
//	list, all 5,000 rows (?n=5000)    234-539 ms   (3.1 MB; 126-136 ms of CPU with GC)
//	search by subject over 5,000      0.28-0.95 ms (0.28-0.33 ms of CPU)
//	conversations (40 of 5,000)       1.8 ms       (18 KB; 1.7-2.0 ms of CPU)
//	a thread page (30 of 125)         2.2-5.4 ms   (18 KB; 2.3-2.6 ms of CPU: 30 PDUs decoded)
//	one thumbnail (320x200 PNG)       5 ms
//	one login (PBKDF2, 600,000 iter)  104 ms
//
// The store reads each listed message's metadata from its journal (about
// 22 µs a row: the JSON decoding of its line), which tripled the list's
// cost (0.4-0.7 and 50-53 ms when the store kept every message's
// metadata in memory, at 8 times the memory per message; see
// internal/store). html/template's escaping is most of the rest (three
// reflective calls per attribute it fills), which is why the
// thumbnails' <img> elements are written in Go. Not measured on a Pi: its cores are much
// slower than this VM's (and most lack SHA-256 instructions), so expect a
// login to take seconds there; sessions last up to a week.
//
// # Limits
//
// Login and setup bodies are capped at 8 KiB and passwords at 1 KiB;
// 500 conversations listed (older ones are in the flat list); 2,000
// bytes of text in a bubble; WBMP pictures of at most 4096 px a side;
// 32 sessions (the oldest goes); 1,024 addresses tracked for the backoff;
// 64 KiB of a text part shown inline (the rest is a download away); 500
// media references read from a SMIL part; pages of at most 5,000 rows.
//
// # Specs
//
//   - RFC 8018 §5.2 (PBKDF2), OWASP Password Storage Cheat Sheet (iterations)
//   - RFC 6265bis (SameSite cookies), W3C CSP Level 3, Fetch Metadata (Sec-Fetch-Site)
//   - OMA-MMS-CONF / 3GPP TS 26.234 (the SMIL subset MMS uses: <par> of img, text, audio, video, ref)
//   - RFC 6266 (Content-Disposition in HTTP), RFC 2231 (encoded file names)
//   - APPNOTE.TXT (the zip format, archive/zip)
package inbox
