// Package at drives a modem's AT command interface (3GPP TS 27.007, TS
// 27.005) over an io.ReadWriter.
//
// One goroutine owns the port: it writes each command, reads the lines that
// come back and decides what each one is. Commands are serialized through
// a channel; [AT.Command] and [AT.SMSCommand] block until the command's
// final result code, its timeout or its context.
//
// A command is "AT" + cmd + CR. The modem may echo it (ATE1), or echo a
// garbled or merged form of it; any line that starts with "AT" while a
// command is pending is taken for echo and dropped, so the engine works with
// echo on or off. Then come information lines and one final result code:
// OK, ERROR, +CME ERROR: <err> (27.007 §9.2), +CMS ERROR: <err> (27.005
// §3.2.5), or NO CARRIER, BUSY, NO ANSWER, NO DIALTONE and the Huawei/ZTE
// COMMAND NOT SUPPORT. The error codes come numeric (AT+CMEE=1) or verbose
// (AT+CMEE=2); both are parsed into [CMEError] and [CMSError], with the code
// looked up for the verbose texts of the specs. A bare "ERROR: <n>" is
// parsed too.
//
// Unsolicited result codes (+CMTI, +CDS, +CREG, RING, Huawei ^RSSI, ^BOOT,
// ^MODE …) may arrive at any time, also between a command and its reply.
// A line whose prefix was registered with [AT.AddIndication] goes to its
// handler, with the given number of following lines (the PDU of +CMT or
// +CDS), and is never taken for a reply — except when it has the prefix of
// the pending command's own reply (+CREG: during AT+CREG?), which makes it
// the reply.
//
// AT+CMGS and friends (27.005 §3.5.1) send the command, wait for the "> "
// prompt — which some modems send without the space, or on a line of its
// own as CR LF ">" CR LF (SIMCom) — then write the PDU in hex and Ctrl-Z.
// The modem may echo the PDU; lines of only hex digits are dropped. The
// final result of AT+CMGS can take a minute or more (gammu#61), so it has
// its own, longer timeout. When the prompt or the result does not come, the
// engine writes ESC (0x1B) to abort the message and waits, for one more
// command timeout, for the result that the modem owes, before it accepts
// the next command. A result that arrives after its command gave up is
// thereby never taken for the next command's.
//
// Closing the port ends the reader; [AT.Done] is closed and [AT.Err] says
// why (io.EOF, ENODEV …), and pending and later commands fail with it.
//
// # Specs
//
//   - 3GPP TS 27.007 (AT command set: result codes, +CME ERROR, +CREG …)
//   - 3GPP TS 27.005 §3 (SMS commands, +CMS ERROR, PDU mode prompt)
//   - ITU-T V.250 (command line, echo, result codes)
package at
