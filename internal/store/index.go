package store

import (
	"slices"
	"sort"
)

// insert adds m to the index; the caller holds s.mu (or is Open).
// diskBytes is what the entry occupies on disk.
func (s *Store) insert(m *Meta, diskBytes int64) {
	s.account(m, diskBytes)
	// Puts finish in any order; keep order sorted by sequence.
	i := sort.Search(len(s.order), func(i int) bool { return s.order[i].seq > m.seq })
	s.order = slices.Insert(s.order, i, m)
}

// account adds m to the map and the counters, not to order.
func (s *Store) account(m *Meta, diskBytes int64) {
	s.index[m.ID] = m
	s.diskSize[m.ID] = diskBytes
	s.bytes += diskBytes
	if !m.Seen {
		s.unseen++
	}
}

// replace swaps the index entry for m.ID with m (same id, new state).
func (s *Store) replace(m *Meta, diskBytes int64) {
	old := s.index[m.ID]
	if old.Seen != m.Seen {
		if m.Seen {
			s.unseen--
		} else {
			s.unseen++
		}
	}
	s.bytes += diskBytes - s.diskSize[m.ID]
	s.diskSize[m.ID] = diskBytes
	s.index[m.ID] = m
	s.order[s.position(old)] = m
}

// drop removes id from the index; the caller holds s.mu.
func (s *Store) drop(id string) {
	m := s.index[id]
	if !m.Seen {
		s.unseen--
	}
	s.bytes -= s.diskSize[id]
	delete(s.diskSize, id)
	delete(s.index, id)
	s.order = slices.Delete(s.order, s.position(m), s.position(m)+1)
}

func (s *Store) position(m *Meta) int {
	return sort.Search(len(s.order), func(i int) bool { return s.order[i].seq >= m.seq })
}

func (s *Store) sortOrder() {
	slices.SortFunc(s.order, func(a, b *Meta) int {
		switch {
		case a.seq < b.seq:
			return -1
		case a.seq > b.seq:
			return 1
		}
		return 0
	})
}

// List returns every message, newest (highest sequence) first. The
// sequence is the order the store received them in, which stays right
// when the clock jumps.
func (s *Store) List() []Meta {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Meta, len(s.order))
	for i, m := range s.order {
		out[len(s.order)-1-i] = *m
	}
	return out
}

// Get returns the message with the given id. An invalid id is simply not
// found.
func (s *Store) Get(id string) (Meta, bool) {
	if !ValidID(id) {
		return Meta{}, false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	m, ok := s.index[id]
	if !ok {
		return Meta{}, false
	}
	return *m, true
}

// lookup validates id and returns its index entry.
func (s *Store) lookup(id string) (*Meta, error) {
	if !ValidID(id) {
		return nil, ErrInvalidID
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	m, ok := s.index[id]
	if !ok {
		return nil, ErrNotFound
	}
	return m, nil
}

// Stats summarises the store. New and Messages come from the same index
// as List, under the same lock.
func (s *Store) Stats() Stats {
	free, err := s.fs.Free(s.dir)
	if err != nil {
		free = -1
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return Stats{
		Messages:    len(s.order),
		New:         s.unseen,
		Bytes:       s.bytes,
		FreeBytes:   free,
		LastError:   s.lastErr,
		LastErrorAt: s.lastErrAt,
	}
}
