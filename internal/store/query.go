package store

// Query selects messages for a page of the owner's inbox or a backup,
// newest first. Its zero value selects every message.
type Query struct {
	// Match keeps the messages it returns true for; nil keeps all. It
	// sees the summary the index keeps in memory, so a query looks at
	// every message without reading the log. It is called under the
	// store's read lock: it must not call the store or block.
	Match  func(Summary) bool
	Offset int // matches to skip (newest first)
	Limit  int // most matches returned; 0 = no limit
}

// Query returns the page of matching messages that q asks for, newest
// first, and how many messages match in all. Only the page's metadata is
// read from the log (one pread and one JSON decode per message), so
// a page of 50 out of thousands costs one pass over the index and 50
// reads. A message whose metadata cannot be read is left out of the page
// (it still counts in total); the error is logged and shows in
// Stats.LastError.
func (s *Store) Query(q Query) (page []Meta, total int) {
	es, total := s.match(q)
	page = make([]Meta, 0, len(es))
	for _, e := range es {
		m, err := s.load(e)
		if err != nil {
			s.readFailed(err)
			continue
		}
		page = append(page, m)
	}
	return page, total
}

// IDs returns the ids of the messages q selects, newest first, without
// reading the log: for going through many messages (a backup) one
// Get at a time rather than holding all their metadata at once.
func (s *Store) IDs(q Query) []string {
	es, _ := s.match(q)
	ids := make([]string, len(es))
	for i := range es {
		ids[i] = es[i].id()
	}
	return ids
}

// match returns copies of the index entries of q's page, and the number
// of matches; the log is read after the lock is released.
func (s *Store) match(q Query) (page []entry, total int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for i := len(s.entries) - 1; i >= 0; i-- {
		e := &s.entries[i]
		if q.Match != nil && !q.Match(s.summary(e)) {
			continue
		}
		if total >= q.Offset && (q.Limit <= 0 || len(page) < q.Limit) {
			page = append(page, *e)
		}
		total++
	}
	return page, total
}

// FileExt returns the extension the store gives a part of media type ct
// in PartMeta.File (".jpg"; ".bin" when unknown), for names of parts the
// store does not list, such as the entries of a nested multipart.
func FileExt(ct string) string { return extension(ct) }
