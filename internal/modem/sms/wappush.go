package sms

// WAPPush returns a binary message that carries body (an encoded MMS
// M-Notification.ind) to the WAP push port of to, in a connectionless WSP
// Push PDU (WAP-230-WSP §8.2.4.1): TID, PDU type 0x06, a headers length of
// 3, the well-known content type application/vnd.wap.mms-message (0xBE) and
// X-Wap-Application-Id: x-wap-application:mms.ua (0xAF 0x84). ref is the
// concatenation reference used if the push needs several parts; callers
// keep a counter per destination.
func WAPPush(to string, tid byte, body []byte, ref uint16) Message {
	data := make([]byte, 0, 6+len(body))
	data = append(data, tid, 0x06, 0x03, 0xBE, 0xAF, 0x84)
	data = append(data, body...)
	return Message{
		To: to, Data: data,
		DstPort: PortWAPPush, SrcPort: PortWAPSession,
		Ref: ref, Ref16: true,
	}
}
