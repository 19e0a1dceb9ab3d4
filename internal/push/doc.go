// Package push tells recipients' phones about their MMS through the
// modem: an M-Notification.ind (or, to a sender who asked for one, an
// M-Delivery.ind) by WAP push, and a plain-text SMS for carriers that drop
// WAP push.
//
// A WAP push is a binary SMS (TP-DCS 0x04) addressed to WDP port 2948,
// the connectionless push port, from port 9200 (WAP-259-WDP). Its user
// data holds a user data header with the 16-bit application port element
// and, when the push takes several SMS, the concatenation element with a
// 16-bit reference; then a connectionless WSP Push PDU: transaction id,
// PDU type 0x06 (Push), headers length 3, content type
// application/vnd.wap.mms-message as the short integer 0xBE, and
// X-Wap-Application-Id x-wap-application:mms.ua as 0xAF 0x84; then the MMS
// PDU itself.
//
// # The byte budget
//
// One SMS carries 140 octets of 8-bit user data (23.040 §9.2.3.16). Of
// those, a single-SMS push spends 7 on the user data header (its length
// octet and the 6-octet port element, IEI 0x05) and 6 on the WSP header,
// which leaves [OneSegment] = 127 octets for the M-Notification.ind. A
// concatenated push repeats the port element in every part and adds the
// 6-octet concatenation element (IEI 0x08), so each part carries 127
// octets of the WSP header and PDU together.
//
// The notification's mandatory headers (OMA-MMS-ENC §6.2: Message-Type,
// Transaction-Id, MMS-Version, Message-Class, Message-Size, Expiry,
// Content-Location) take 17 to 22 octets, depending on the size and the
// expiry, besides the characters of the transaction id and the URL (Expiry
// is relative: the Pi may not know the date), so a short URL leaves room
// for From and Subject. [Notification] leaves out Subject,
// then From, when the push would otherwise need a second SMS: a phone
// fetches the message anyway and shows both from the M-Retrieve.conf. A
// notification that does not fit even so (a long URL) goes in several
// SMS, which every phone reassembles but which a lost part makes useless.
//
// From and Subject go only as plain Text-strings of printable ASCII. An
// Encoded-string-value with a charset (a UTF-8 subject: value length,
// 0xEA, text) is valid OMA-MMS-ENC, but libGammu's MMS indicator decoder,
// the independent oracle of our tests, takes its octets as text, and
// small notification parsers do the same; it costs octets from a tight
// budget too. A phone shows the real subject from the M-Retrieve.conf.
//
// # Sending
//
// A [Pusher] sends now or returns an error; it keeps no queue, since the
// caller's per-recipient state machine retries with back-off. It shares the
// modem with the owner notifier: modem.Device.Send takes one AT+CMGS at a
// time and the AT engine owns the port, so their SMS never interleave
// within an exchange (parts of different messages may alternate, which
// concatenation allows). References count per destination from a random
// start, in the 16-bit space, apart from the owner notifier's 8-bit ones.
// [Temporary] sorts errors as modem.Temporary does: an absent modem, a
// timeout or +CMS ERROR: 500 are worth retrying; a bad number, +CMS ERROR:
// 304/305 and a message too large are not. Destinations must be
// international numbers ("+" and digits); national forms are refused,
// since which country they belong to is the caller's knowledge.
//
// # Specs
//
//   - OMA-MMS-ENC 1.3 §6.2 (M-Notification.ind), §6.11 (M-Delivery.ind)
//   - WAP-230-WSP §8.2.4.1 (connectionless Push PDU), Appendix A tables 34
//     and 39 (well-known content type 0x3E, header field 0x2F)
//   - WAP-259-WDP §6.5 and Appendix B (WDP over GSM SMS, ports 2948/9200)
//   - 3GPP TS 23.040 §9.2.3.24.4 (16-bit application port addressing),
//     §9.2.3.24.1 and §9.2.3.24.8 (concatenation, 8- and 16-bit reference)
//   - ITU-T E.164 (international numbers: at most 15 digits)
package push
