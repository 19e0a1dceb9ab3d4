package store

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
)

// SetSeen records whether the owner has seen the message. The new state
// is durable when it returns; setting the current state writes nothing.
func (s *Store) SetSeen(id string, seen bool) error {
	if _, err := s.lookup(id); err != nil {
		return err
	}
	if err := s.begin(); err != nil {
		return err
	}
	defer s.inflight.Done()
	s.mutateMu.Lock()
	m, err := s.lookup(id) // it may have been deleted meanwhile
	if err != nil || m.Seen == seen {
		s.mutateMu.Unlock()
		return err
	}
	nm, err := s.rewrite(m, seen)
	if err == nil {
		err = s.fs.SyncDir(s.msgDir)
	}
	if err != nil {
		s.mutateMu.Unlock()
		err = classify("set seen "+id, err)
		s.setError("set seen", err)
		return err
	}
	s.mutateMu.Unlock()
	s.notify(Event{Kind: Changed, Meta: *nm})
	return nil
}

// MarkAllSeen marks every new message seen, with one directory sync for
// all of them. On error the messages already rewritten stay seen.
func (s *Store) MarkAllSeen() error {
	if err := s.begin(); err != nil {
		return err
	}
	defer s.inflight.Done()
	s.mutateMu.Lock()
	var changed []Meta
	var err error
	for _, m := range s.unseenEntries() {
		var nm *Meta
		if nm, err = s.rewrite(m, true); err != nil {
			break
		}
		changed = append(changed, *nm)
	}
	if len(changed) > 0 {
		err = errors.Join(err, s.fs.SyncDir(s.msgDir))
	}
	s.mutateMu.Unlock()
	if err != nil {
		err = classify("mark all seen", err)
		s.setError("mark all seen", err)
	}
	for _, m := range changed {
		s.notify(Event{Kind: Changed, Meta: m})
	}
	return err
}

func (s *Store) unseenEntries() []*Meta {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*Meta
	for _, m := range s.order {
		if !m.Seen {
			out = append(out, m)
		}
	}
	return out
}

// rewrite atomically replaces the metadata file of m with seen set, and
// then the index entry. The caller holds mutateMu and syncs the directory.
func (s *Store) rewrite(m *Meta, seen bool) (*Meta, error) {
	nm := *m
	nm.Seen = seen
	mb, err := marshalMeta(&nm)
	if err != nil {
		return nil, err
	}
	if err := writeFile(s.fs, filepath.Join(s.msgDir, m.ID+metaExt), mb); err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.replace(&nm, nm.Size+int64(len(mb)))
	s.mu.Unlock()
	return &nm, nil
}

// Delete removes a message. Removing the metadata file is the commit
// point: a crash after it leaves a PDU without metadata, which Open
// removes. Before the first removal the sequence high-water mark is
// persisted so that the id is never issued again, even for the newest
// message.
func (s *Store) Delete(id string) error {
	if _, err := s.lookup(id); err != nil {
		return err
	}
	if err := s.begin(); err != nil {
		return err
	}
	defer s.inflight.Done()
	s.mutateMu.Lock()
	m, err := s.lookup(id)
	if err == nil {
		err = s.remove(m)
	}
	s.mutateMu.Unlock()
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			s.setError("delete", err)
		}
		return err
	}
	s.log.Info("store: deleted", "id", id)
	s.notify(Event{Kind: Deleted, Meta: *m})
	return nil
}

// remove deletes m's files and index entry; the caller holds mutateMu.
func (s *Store) remove(m *Meta) error {
	if m.seq > s.seqMark {
		s.mu.RLock()
		hi := s.nextSeq - 1
		s.mu.RUnlock()
		if err := s.writeSeqMark(hi); err != nil {
			return classify("delete "+m.ID+": sequence mark", err)
		}
		s.seqMark = hi
	}
	for _, ext := range []string{metaExt, pduExt} {
		err := s.fs.Remove(filepath.Join(s.msgDir, m.ID+ext))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("store: delete %s: %w", m.ID, err)
		}
	}
	if err := s.fs.SyncDir(s.msgDir); err != nil {
		s.log.Error("store: sync after delete", "id", m.ID, "err", err)
	}
	s.mu.Lock()
	s.drop(m.ID)
	s.mu.Unlock()
	return nil
}

// Subscribe calls fn after every change: Stored, Changed, Deleted. fn is
// called synchronously by the goroutine that made the change, after the
// change is durable and outside the store's locks, so it may call the
// store's read methods; it must not block (hand the event to a channel
// or a goroutine) and may be called from several goroutines at once.
// The returned cancel stops further calls. A nil fn is ignored.
func (s *Store) Subscribe(fn func(Event)) (cancel func()) {
	if fn == nil {
		return func() {}
	}
	s.mu.Lock()
	id := s.nextSub
	s.nextSub++
	s.subs[id] = fn
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		delete(s.subs, id)
		s.mu.Unlock()
	}
}

func (s *Store) notify(ev Event) {
	s.mu.RLock()
	fns := make([]func(Event), 0, len(s.subs))
	for _, fn := range s.subs {
		fns = append(fns, fn)
	}
	s.mu.RUnlock()
	for _, fn := range fns {
		fn(ev)
	}
}
