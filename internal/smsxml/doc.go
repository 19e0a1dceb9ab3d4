// Package smsxml exports stored messages in the XML format of SMS Backup &
// Restore (SyncTech), the most-used Android backup app, so that the owner
// can restore the appliance's archive into an Android phone's messaging
// app: put the file in the phone's backup folder and choose Restore.
//
// # The format
//
// One file, UTF-8, a root <smses> whose count attribute is the number of
// messages, then one element per message. An MMS is
//
//	<mms date="…ms…" msg_box="1" m_type="132" address="+1555…" … >
//	  <parts>
//	    <part seq="-1" ct="application/smil" … text="&lt;smil>…"/>
//	    <part seq="0" ct="text/plain" chset="106" … text="Hello"/>
//	    <part seq="1" ct="image/jpeg" cl="photo.jpg" … data="/9j/4AAQ…"/>
//	  </parts>
//	  <addrs>
//	    <addr address="+1555…" type="137" charset="106"/>
//	    <addr address="+1444…" type="151" charset="106"/>
//	  </addrs>
//	</mms>
//
// Every attribute is a column of Android's MMS provider (the mms, part and
// addr tables), written as SMS Backup & Restore writes it: the literal
// "null" where the column is NULL, numbers as decimal, and the PDU's
// one-octet codes as their Android values (m_type 132 = M-Retrieve.conf,
// pri 129 = normal, rr and d_rpt 129 = no, v 18 = MMS 1.2; addr type 137
// = From, 151 = To, 130 = Cc; chset 106 = UTF-8). date is the time the
// appliance received the message, in milliseconds since 1970; date_sent
// the phone's Date header in seconds, as the provider keeps it (0 when
// absent). address is the sender, with the other recipients after it
// joined by "~" for a group message, which is how the app names a
// conversation's participants.
//
// Parts are written in PDU order, nested multiparts flattened; the SMIL
// part gets seq -1 and the others count from 0, as the provider numbers
// them. A text/plain part's text, converted from its charset to UTF-8, and
// a SMIL part go in the text attribute (chset 106); every other part's
// bytes go base64 in data, streamed from the decoded PDU, never copied.
// Content-ID and Content-Location stay as sent, so the SMIL still finds
// its media after a restore. A message is received (msg_box 1) by whoever
// restores it, read when the owner has seen it in the inbox.
//
// The export reads one message at a time — its PDU, decoded in place —
// so memory stays at one message whatever the archive's size. count is
// the number of messages selected when the export starts; one deleted
// while it runs is left out, and then there are fewer elements than
// count says.
//
// # Schema
//
// SyncTech documents the fields at
// https://synctech.com.au/sms-backup-restore/fields-in-xml-backup-files/
// and links an XSD from that page. That XSD was not available to this
// project's tools, and by independent accounts (the XML reference of
// github.com/shruggietech/sms-backup-restore-parser) it omits the <addrs>
// element that every real backup carries and types count and the MMS
// address too narrowly. testdata/sms-backup-restore.xsd is therefore
// written from the published field list and the structure of real
// backups; the test validates every export against it with xmllint
// (libxml2), an XML Schema validator we did not write.
//
// # Specs
//
//   - SyncTech, "Fields in XML backup files" (the page above)
//   - Android Telephony provider columns (android.provider.Telephony.Mms,
//     Mms.Part, Mms.Addr); OMA-MMS-ENC §7.3 for the header codes they keep
//   - W3C XML 1.0 §2.3 (attribute values), XML Schema 1.0
package smsxml
