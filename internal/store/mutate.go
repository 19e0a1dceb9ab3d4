package store

import "errors"

// SetSeen records whether the owner has seen the message. The new state
// is durable when it returns; setting the current state writes nothing.
func (s *Store) SetSeen(id string, seen bool) error {
	_, err := s.update("set seen", id, func(m *Meta) bool {
		if m.Seen == seen {
			return false
		}
		m.Seen = seen
		return true
	})
	return err
}

// update durably changes the metadata of one message: change gets a copy
// of the current metadata, read from the log, and reports whether it
// changed it (false: nothing is written). The changed metadata is
// appended to the log, synced, and only then put in the index, and
// subscribers get a Changed event. change must not modify the copy's
// slices or map in place (they are shared with the old metadata, which
// is written back if the sync fails): assign new ones. op names the
// change in errors and Stats.LastError. New methods that change one
// message's metadata go through here.
func (s *Store) update(op, id string, change func(*Meta) bool) (Meta, error) {
	if _, err := s.lookup(id); err != nil {
		return Meta{}, err
	}
	if err := s.begin(); err != nil {
		return Meta{}, err
	}
	defer s.inflight.Done()
	s.mutateMu.Lock()
	m, err := s.current(id) // it may have been deleted meanwhile
	if err != nil {
		s.mutateMu.Unlock()
		return Meta{}, err
	}
	nm := m
	if !change(&nm) {
		s.mutateMu.Unlock()
		return nm, nil
	}
	nm.ID, nm.seq = m.ID, m.seq // the id is not the change's to make
	err = s.rewrite([]*Meta{&m}, []*Meta{&nm})
	s.mutateMu.Unlock()
	if err != nil {
		err = classify(op+" "+id, err)
		s.setError(op, err)
		return Meta{}, err
	}
	s.publish(Event{Kind: Changed, Meta: nm})
	return nm, nil
}

// current reads the metadata of id as the index knows it now. A line
// that cannot be read is recorded in Stats.LastError.
func (s *Store) current(id string) (Meta, error) {
	e, err := s.lookup(id)
	if err != nil {
		return Meta{}, err
	}
	m, err := s.load(e)
	if err != nil {
		s.readFailed(err)
	}
	return m, err
}

// MarkAllSeen marks every new message seen, with one sync for all of
// them. On error the messages already recorded stay seen.
func (s *Store) MarkAllSeen() error {
	if err := s.begin(); err != nil {
		return err
	}
	defer s.inflight.Done()
	s.mutateMu.Lock()
	var olds, news []*Meta
	var lerr error // metadata that could not be read: those stay unseen
	for _, e := range s.unseenEntries() {
		m, err := s.load(e)
		if err != nil {
			lerr = errors.Join(lerr, err)
			continue
		}
		nm := m
		nm.Seen = true
		olds, news = append(olds, &m), append(news, &nm)
	}
	err := errors.Join(lerr, s.rewrite(olds, news))
	s.mutateMu.Unlock()
	if err != nil {
		err = classify("mark all seen", err)
		s.setError("mark all seen", err)
	}
	for _, m := range news {
		if m.ID != "" {
			s.publish(Event{Kind: Changed, Meta: *m})
		}
	}
	return err
}

func (s *Store) unseenEntries() []entry {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []entry
	for _, e := range s.entries {
		if !e.seen {
			out = append(out, e)
		}
	}
	return out
}

// rewrite appends the new metadata of messages (news[i] replaces
// olds[i]), syncs once, and then updates the index. An append that
// fails stops there; the lines already appended are synced and kept.
// If the sync fails, the old metadata is appended again (best effort),
// so that the failed change does not come back at the next Open, and
// nothing changes in the index. Entries of news not recorded get an
// empty ID. The caller holds mutateMu.
func (s *Store) rewrite(olds, news []*Meta) error {
	lines := make([]entry, 0, len(news)) // the new index entries
	var err error
	for _, nm := range news {
		var line []byte
		var off int64
		var cur entry
		if cur, err = s.lookup(nm.ID); err != nil {
			break
		}
		if line, err = putRecord(nm); err == nil {
			off, err = s.msgs.append(line)
		}
		if err != nil {
			break
		}
		lines = append(lines, newEntry(nm, off, len(line), cur.pdu))
	}
	for i := len(lines); i < len(news); i++ {
		news[i].ID = ""
	}
	if len(lines) == 0 {
		return err
	}
	if serr := s.msgs.commit(); serr != nil {
		for i := range lines {
			if line, lerr := putRecord(olds[i]); lerr == nil {
				s.msgs.append(line)
			}
			news[i].ID = ""
		}
		return errors.Join(err, serr)
	}
	s.mu.Lock()
	for i, e := range lines {
		s.replace(news[i].ID, e)
	}
	s.mu.Unlock()
	return err
}

// Delete removes a message: a del line in the log, synced, and then a
// hole punched where its PDU was, which gives the card's blocks back.
// Its line stays in the log until Open compacts it (see the package
// documentation); the del line keeps the id until then, and
// compaction records the sequence high-water mark, so the id is never
// issued again.
func (s *Store) Delete(id string) error {
	if _, err := s.lookup(id); err != nil {
		return err
	}
	if err := s.begin(); err != nil {
		return err
	}
	defer s.inflight.Done()
	s.mutateMu.Lock()
	m, err := s.current(id)
	if err == nil {
		err = s.remove(&m)
	}
	s.mutateMu.Unlock()
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			err = classify("delete "+id, err)
			s.setError("delete", err)
		}
		return err
	}
	s.log.Info("store: deleted", "id", id)
	s.publish(Event{Kind: Deleted, Meta: m})
	return nil
}

// remove records the deletion of m, removes its index entry and frees
// the blocks of its PDU; the caller holds mutateMu. The del line is
// durable before the hole is punched: a message whose PDU reads as
// zeros is never listed again.
func (s *Store) remove(m *Meta) error {
	e, err := s.lookup(m.ID)
	if err != nil {
		return err
	}
	line, err := encodeRecord(record{Del: m.ID})
	if err != nil {
		return err
	}
	if _, err := s.msgs.append(line); err != nil {
		return err
	}
	if err := s.msgs.commit(); err != nil {
		if put, perr := putRecord(m); perr == nil {
			s.msgs.append(put) // undo, so the failed deletion does not happen at Open
		}
		return err
	}
	s.mu.Lock()
	s.drop(m.ID)
	s.mu.Unlock()
	if err := s.msgs.punch(e.pdu, int64(e.size)); err != nil {
		s.log.Warn("store: delete: the space comes back at the next compaction", "id", m.ID, "err", err)
	}
	return nil
}
