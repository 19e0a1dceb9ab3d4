// Package sms encodes SMS-SUBMIT TPDUs for AT+CMGS in PDU mode, and decodes
// them back for tests and fakes. It is a pure codec: no I/O, no clock, no
// logging.
//
// An SMS-SUBMIT is, in order: first octet (TP-MTI=01, TP-VPF, TP-SRR,
// TP-UDHI), TP-MR, TP-DA (length in digits, type of address, BCD digits
// swapped in pairs and padded with F), TP-PID, TP-DCS, the optional TP-VP
// (relative format, one octet) and TP-UDL followed by TP-UD. The modem
// expects it in hex after an SMSC address field; this package always writes
// "00" there so the modem uses the service centre from AT+CSCA, and
// [PDU.TPDULen] — the number AT+CMGS=<n> wants — counts the TPDU octets only.
//
// Text goes in the GSM 7-bit default alphabet when every character is in it
// or in its extension table (an extension character costs two septets: ESC
// and the character), otherwise in UCS-2, where characters outside the Basic
// Multilingual Plane (emoji) are UTF-16 surrogate pairs. A text that does not
// fit one message is split into parts that each carry a concatenation
// information element in the user data header, with an 8-bit or 16-bit
// reference; a split never falls between ESC and its character, nor between
// the two halves of a surrogate pair. GSM 7-bit user data after a header
// starts on a septet boundary (fill bits), and TP-UDL counts septets,
// header included. When the packed septets leave seven spare bits in the
// last octet, those bits carry CR rather than zeros, as 23.038 §6.1.2.1.1
// asks, so that no receiver shows a stray '@'.
//
// Binary messages (8-bit data, TP-DCS 0x04) may carry the 16-bit
// application port addressing element (IEI 0x05); WAP push uses destination
// port 2948 and source port 9200. The port element is repeated in every
// part of a concatenated binary message.
//
// # Limits
//
// A message is split into at most [MaxParts] parts; longer input returns
// [ErrTooLong]. Numbers have at most [MaxDigits] digits.
//
// # Specs
//
//   - 3GPP TS 23.040 §9.2.2.2 (SMS-SUBMIT), §9.2.3 (TP fields), §9.2.3.24
//     (user data header, concatenation and port addressing)
//   - 3GPP TS 23.038 §4 (data coding scheme), §6.1.2 (GSM 7-bit default
//     alphabet, extension table, packing)
//   - 3GPP TS 27.005 §3.5.1, §4.3 (AT+CMGS in PDU mode)
//   - WAP-259-WDP (WDP over SMS, ports 2948/9200)
//   - WAP-230-WSP §8.2.4.1 (connectionless push PDU carried as payload)
package sms
