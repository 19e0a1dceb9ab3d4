package mms

import (
	"net/mail"
	"net/netip"
	"strings"
)

// Sender returns the sender a From address names, without its /TYPE=
// suffix (OMA-MMS-ENC §8, address): a phone number with its separators
// removed, an IPv4 or IPv6 address, or a bare e-mail addr-spec. It
// reports false for the insert-address token and for anything else:
// free text such as "<b>Anna</b>" or "Anna <anna@example.org>" names no
// one.
func (a Address) Sender() (string, bool) {
	if a.Insert {
		return "", false
	}
	s := strings.TrimSpace(a.String())
	switch k := a.Kind(); k {
	case KindPLMN:
		return a.Number()
	case KindIPv4, KindIPv6:
		return ipAddress(BareAddress(s), k == KindIPv4)
	case KindEmail:
		return emailAddress(s)
	}
	return "", false
}

// ValidSender reports whether s is a sender as Address.Sender returns
// one, after BareAddress: what a stored sender must look like to be
// shown as an address.
func ValidSender(s string) bool {
	s = BareAddress(s)
	if n, ok := PLMN(s).Number(); ok && n == s {
		return true
	}
	if ip, err := netip.ParseAddr(s); err == nil && ip.Zone() == "" {
		return true
	}
	_, ok := emailAddress(s)
	return ok
}

// BareAddress is an address as people write it: without the
// "/TYPE=PLMN" (IPv4, IPv6) suffix.
func BareAddress(a string) string {
	if i := strings.Index(strings.ToUpper(a), "/TYPE="); i >= 0 {
		return a[:i]
	}
	return a
}

// ipAddress checks the address part of an IPv4 or IPv6 device address.
func ipAddress(s string, v4 bool) (string, bool) {
	ip, err := netip.ParseAddr(s)
	if err != nil || ip.Is4() != v4 || ip.Zone() != "" {
		return "", false
	}
	return ip.String(), true
}

// emailAddress accepts a bare RFC 5322 addr-spec ("anna@example.org"):
// no display name, no angle brackets, nothing around it.
func emailAddress(s string) (string, bool) {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "", false
	}
	return s, true
}
