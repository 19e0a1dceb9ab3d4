package store

// Query selects messages for a page of the owner's inbox or a backup,
// newest first. Its zero value selects every message.
type Query struct {
	// Match keeps the messages it returns true for; nil keeps all. It is
	// called under the store's read lock with the index's own entry: it
	// must not modify m, call the store or block.
	Match  func(m *Meta) bool
	Offset int // matches to skip (newest first)
	Limit  int // most matches returned; 0 = no limit
}

// Query returns the page of matching messages that q asks for, newest
// first, and how many messages match in all. Only the page is copied, so
// a page of 50 out of thousands costs one pass over the index and 50
// copies, not a copy of the whole index as List makes.
func (s *Store) Query(q Query) (page []Meta, total int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if q.Limit > 0 { // a Meta is a few hundred bytes: grow the page once
		page = make([]Meta, 0, min(q.Limit, max(len(s.order)-q.Offset, 0)))
	}
	for i := len(s.order) - 1; i >= 0; i-- {
		m := s.order[i]
		if q.Match != nil && !q.Match(m) {
			continue
		}
		if total >= q.Offset && (q.Limit <= 0 || len(page) < q.Limit) {
			page = append(page, *m)
		}
		total++
	}
	return page, total
}

// FileExt returns the extension the store gives a part of media type ct
// in PartMeta.File (".jpg"; ".bin" when unknown), for names of parts the
// store does not list, such as the entries of a nested multipart.
func FileExt(ct string) string { return extension(ct) }
