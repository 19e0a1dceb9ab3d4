package store

import (
	"maps"
	"sync/atomic"
	"unique"
)

// The index keeps every message's metadata in memory, and most of its
// strings repeat from message to message: the sender, the recipients,
// the part types and names, the phone's User-Agent and profile. Sharing
// one copy of each took the index from 1308 to 862 bytes per message
// (heap after 3000 Puts of one phone's messages), which is what the appliance's
// memory grows by as messages arrive.

// interner shares the strings and the hints maps of the metadata the
// index holds. The shared maps are never modified (Meta's contract).
type interner struct {
	lastHints atomic.Pointer[map[string]string] // the last distinct hints seen
}

func intern(s string) string {
	if s == "" {
		return ""
	}
	return unique.Make(s).Value()
}

// meta makes m's repeated strings and its hints map shared copies.
// The per-message ones (id, sha256, transaction id, subject, remote
// address) are left alone: sharing them would only cost a lookup.
func (in *interner) meta(m *Meta) {
	m.Sender.Number = intern(m.Sender.Number)
	m.Sender.Name = intern(m.Sender.Name)
	m.Sender.Source = intern(m.Sender.Source)
	m.Version = intern(m.Version)
	m.ContentType = intern(m.ContentType)
	for _, as := range [][]string{m.To, m.Cc, m.Bcc} {
		for i := range as {
			as[i] = intern(as[i])
		}
	}
	for i := range m.Parts {
		p := &m.Parts[i]
		p.ContentType = intern(p.ContentType)
		p.Charset = intern(p.Charset)
		p.Name = intern(p.Name)
		p.ContentID = intern(p.ContentID)
		p.File = intern(p.File)
	}
	m.Hints = in.hints(m.Hints)
}

// hints returns the last hints map seen when h equals it (the same phone
// posting again), or h, which becomes the last one.
func (in *interner) hints(h map[string]string) map[string]string {
	if len(h) == 0 {
		return h
	}
	if last := in.lastHints.Load(); last != nil && maps.Equal(*last, h) {
		return *last
	}
	shared := make(map[string]string, len(h))
	for k, v := range h {
		shared[intern(k)] = intern(v)
	}
	in.lastHints.Store(&shared)
	return shared
}
