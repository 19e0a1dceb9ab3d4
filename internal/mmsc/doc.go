// Package mmsc is the HTTP handler of the internet-facing MMSC listener:
// it takes the M-Send.req a phone posts, finds out who sent it (a paired
// phone's URL token, or the open endpoint), stores it and answers with an
// M-Send.conf; it hands a paired phone's fetches of its messages and its
// reports (M-NotifyResp.ind, M-Acknowledge.ind, M-Read-Rec.ind) to
// delivery. Which phones may post, and with which URL token, is
// internal/phones' registry.
//
// # The protocol
//
// A phone whose "MMSC" setting points at the appliance sends every MMS as
// one HTTP POST (OMA-MMS-CTR §6.1.1, over the WSP/HTTP binding of
// OMA-MMS-ENC §5): the body is an M-Send.req PDU, Content-Type
// application/vnd.wap.mms-message (some phones add "; charset=..."; the
// media type is compared without case). The phone waits for the HTTP
// response, which must be 200 with an M-Send.conf PDU of the same media
// type. Anything else (a 3xx redirect included: Android and Sailfish count
// it as failure) means "not sent".
//
// The M-Send.conf carries, in this order, X-Mms-Message-Type (m-send-conf),
// X-Mms-Transaction-Id (the request's, so the phone can match it),
// X-Mms-MMS-Version, X-Mms-Response-Status and, with Ok only, Message-ID.
// We answer MMS-Version 1.2 when the request is 1.2 or later and 1.0
// otherwise. Ok is sent only once the store has made the message durable,
// and always with a non-empty, unique Message-ID (the store's id): Sailfish
// treats an Ok without one as a failure, and a Nokia was seen rebooting.
// Errors carry a short X-Mms-Response-Text. When no Transaction-Id can be
// read from the request, the reply carries "homemmsc-unreadable": the
// header is mandatory and an empty one is not safe (AOSP drops the PDU).
//
// With delivery to paired phones on (internal/deliver), the same URLs
// also take what a recipient's phone posts about a notification: an
// M-NotifyResp.ind or M-Acknowledge.ind goes to Config.Report with the
// posting phone's number and is answered 200 with an empty body, and the
// retrieve URLs GET /m/<key> and /v/<key> go to Config.Retrieve. An
// M-Read-Rec.ind (a phone's read report) is answered the same empty 200,
// and only logged: the appliance does not pass read reports on to the
// sender.
//
// # Replies to a phone's reports
//
// M-NotifyResp.ind, M-Acknowledge.ind and M-Read-Rec.ind have no reply
// PDU (OMA-MMS-ENC §6.2, §6.4, §6.7.2); the spec says nothing of the HTTP
// status. What the clients do with it, read in their sources:
//
//	client                       accepts        on anything else
//	mmsd-tng 2.1 (Phosh/Chatty)  exactly 200    "POST m.notify.resp.ind failed with
//	                                            status N": the received message is
//	                                            never exported (2.1.0 tries three
//	                                            times, then reports a receive error)
//	Sailfish mms-engine          any 2xx        permanent failure of the task; only
//	  (mms_task_http.c)                         transport errors are retried
//	AOSP MmsService              any 2xx        MmsHttpException, retried up to
//	  (MmsHttpClient.execute)                   3 times, then the request fails
//
// None reads the body of these replies. So all three are answered 200
// with Content-Length 0; a 204 (what we answered before) fails on every
// Linux phone running mmsd-tng.
//
// # Status choice
//
// What the handler answers a POST, and what each client does with it:
// AOSP (MmsService's MmsHttpClient, Messaging's MmsUtils), Sailfish
// mms-engine (mms_task_http.c, mms_task_send.c), both read in their
// sources, and mmsd-tng 2.1.0, run against each answer (internal/mmsdtest).
//
//	what happened                          answer                AOSP     mms-engine  mmsd-tng
//	stored durably                         0x80 Ok + Message-ID  sent     sent        sent
//	PDU cannot be decoded (empty, cut),    0x83 format-corrupt   failed   send error  failed
//	  or lacks MMS-Version/Content-Type
//	not an M-Send.req, or MMS major ≥ 2    0x88 unsupported      failed   refused     "sent"
//	body over MaxSize, or a codec limit    0x87 not-accepted     failed   refused     failed
//	no sender (no token, no From, no ?n=,  0x84 address-         failed   send error  failed
//	  anonymous off), or an invalid ?n=         unresolved
//	unknown token, open endpoint off, or   0x82 service-denied   failed   refused     failed
//	  sender not on the allow-list
//	store full (quota, disk) or failing    HTTP 503, Retry-After retried  send error  failed
//	body cut short (phone hung up)         HTTP 400              retried  send error  failed
//	another media type                     HTTP 415              retried  send error  failed
//
// "failed": the phone shows the message as not sent, with no retry of its
// own (mmsd-tng posts it three times, then signals MessageSendError, for
// every non-200 answer tried: 400, 403, 415, 500, 503;
// mms-engine's "refused" and "send error" are both failures it shows);
// "retried": AOSP retries by itself, silently, as it does any non-2xx.
//
// Every refusal carries its MMS 1.0 code, whatever the request's version,
// although OMA-MMS-ENC 1.1 and later (§7.3.48) made most of them obsolete
// in favour of 0xE0–0xFF: mmsd-tng 2.1.0, which posts MMS 1.3, marks the
// message sent on 0x88, 0xC0, 0xC3, 0xE0, 0xE1, 0xE2, 0xE3 and 0xE5 (the
// codes tried; it reports 0x81–0x87 and 0xC4 as failures), so the 0xE1,
// 0xE2, 0xE3, 0xE5 and 0xC0 we answered before lost the message without
// a word on Linux phones. AOSP and mms-engine take
// the 1.0 codes for the failures they are. A full store is answered
// HTTP 503 rather than 0xC0: AOSP retries it by itself (of the codes it
// retries only 0xC0, 0xC3 and 0xC4) and the others report it. The reply's
// MMS-Version is 1.2 when the request is 1.2 or later, else 1.0. 0x88
// stays for what is not an M-Send.req: it is what version management
// asks for, and no phone posts such PDUs by mistake.
//
// A POST refused whatever its body holds (a disabled open endpoint, an
// unknown token, an invalid ?n=) is still answered 200 with an
// M-Send.conf, so its owner sees the failure and its Response-Text
// instead of a phone retrying an HTTP error in silence; only the body's
// first peekLen octets are read (for the Transaction-Id), for 2 s at most
// (peekWait), and nothing is stored. Another media type gets a plain-text
// 415, another method 405 (Allow: POST), another path 404. GET / says in
// one line what this is. Every reply has Cache-Control: no-cache.
//
// Every refusal that leaves a body unread says "Connection: close" and
// lets go of the connection at once (guard.CloseUnread): net/http would
// otherwise read up to 256 KB of the body, at the client's pace, to keep
// it. Refusals are logged at debug level only and passed to
// Config.OnRefused, which the appliance sums up in one log line per kind
// every 10 s: under attack they come by the thousand.
//
// When the public URL phones are given has a path (-public-url
// http://host/mmsc, behind a reverse proxy), Config.Prefix serves every
// route under it as well as at the root, whether the proxy passes the
// path on or strips it; PathPrefix refuses a path that would mix with the
// routes themselves (/mms, /m, ...).
//
// # Who sent it
//
// Phones do not put their own number in From: they send the
// insert-address token (From = 0x81, OMA-MMS-ENC §7.3.21) and expect the
// operator's MMSC to fill in the number it knows from the radio network.
// Our MMSC is reached over the internet and knows nothing of the kind.
// The seed page asked each phone to add ?n=<number> to its MMSC URL,
// which anyone could forge. Like Mbuni, we give each paired phone a secret
// token in its MMSC URL instead (http://host:port/mms/<token>); the phone
// list maps tokens to names and numbers. The sender is, in this order:
//
//  1. the phone whose token is in the URL (Source "token"). An unknown
//     token is refused with service-denied, its body not read;
//  2. the From address, when the PDU carries one rather than the insert
//     token and it is an address of OMA-MMS-ENC §8 (Source "from", the
//     /TYPE= suffix dropped): a phone number ("+" and digits, separators
//     removed), an IPv4 or IPv6 address, or a bare e-mail addr-spec. Free
//     text ("<b>Anna</b>", "Anna <a@example.org>") is never the sender:
//     the next rule applies, and it is kept only as the "pdu-from" hint;
//  3. ?n= on the open endpoint (Source "query"), only "+" and 3–20 digits;
//     anything else is refused with sending-address-unresolved.
//
// Only 1 is proof: 2 and 3 are claims, stored without a name even when a
// paired phone has the number (store.Sender.Proven, Label), so the inbox,
// the OLED and the owner's SMS show them as claimed numbers.
//
// The open endpoint (/mms, and /mms.php for owners coming from the seed
// page) serves 2 and 3 and is on only when Config.Open is set; the
// appliance turns it on by default when no phone is paired, and owners
// should turn it off once theirs are. Headers that claim a number
// (X-MDN, X-Up-Calling-Line-Id, X-Wap-Network-Client-MSISDN) are only
// recorded as hints with User-Agent and X-Wap-Profile/Profile: any client
// can send them. With no sender, the message is refused with
// sending-address-unresolved unless Config.Anonymous is set.
//
// Config.Allow, when set (the appliance's -allow list), must accept the
// number of a sender identified by From or ?n=; otherwise the message is
// refused with service-denied and nothing is stored. A paired phone's
// token is proof enough and is never checked against it. Since From and
// ?n= are claims anyone can make, the allow-list narrows who can fill the
// store through the open endpoint; it does not authenticate.
//
// # Limits
//
// The body is capped with http.MaxBytesReader before it is read:
// DefaultMaxSize (1 MiB) unless Config.MaxSize says otherwise, never above
// MaxMaxSize (5 MiB). A body declared larger is not read beyond the
// first peekLen octets, which hold the Transaction-Id. Bodies are read
// into recycled buffers, and all requests together hold at most
// maxBodyBytes (8 MiB) of bodies: a request waits before reading its body
// until there is room, so memory stays bounded whatever the number of
// phones posting (body.go). Tokens are at least
// phones.MinTokenLen characters of [A-Za-z0-9_-]; the registry holds at
// most phones.MaxPhones phones.
//
// # Specs
//
//   - OMA-MMS-ENC 1.2 and 1.3 (OMA-TS-MMS_ENC): §6.1 M-Send.req and
//     M-Send.conf, §7.3.21 From and the insert-address token, §7.3.48
//     X-Mms-Response-Status and the handling of unknown values.
//   - OMA-MMS-CTR 1.2/1.3: the submission transaction over HTTP.
//   - WAP-230-WSP §8.4.2.24 (Content-Type) and §8.5 (multipart).
//   - RFC 9110: 405 with Allow, 415, 503 with Retry-After; RFC 9111
//     Cache-Control.
//   - Mbuni (mbuni.org) MMSC documentation, for the per-phone URL token.
package mmsc
