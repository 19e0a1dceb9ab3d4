package store

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// A PDU is a stored message's PDU opened for reading, byte for byte as
// it was received: a section of the log.
type PDU struct {
	*io.SectionReader
	f *os.File
}

// Close closes the PDU's file.
func (p *PDU) Close() error { return p.f.Close() }

// OpenPDU opens the PDU of a message as it was received, byte for byte.
// It reads the log through a file of its own, so it may be read after
// the store is closed.
func (s *Store) OpenPDU(id string) (*PDU, error) {
	e, err := s.lookup(id)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(s.logPath())
	if err != nil {
		return nil, fmt.Errorf("store: open PDU %s: %w", id, err)
	}
	return &PDU{SectionReader: io.NewSectionReader(f, e.pdu, int64(e.size)), f: f}, nil
}

// Part returns the content of part index (0-based, as in Meta.Parts) of a
// message, decoded from the stored PDU (see the package documentation
// for why parts are not stored as files).
func (s *Store) Part(id string, index int) ([]byte, PartMeta, error) {
	m, err := s.current(id)
	if err != nil {
		return nil, PartMeta{}, err
	}
	if index < 0 || index >= len(m.Parts) {
		return nil, PartMeta{}, fmt.Errorf("%w: %s has %d parts, asked for %d", ErrNoPart, id, len(m.Parts), index)
	}
	pdu, err := s.readPDU(id)
	if err != nil {
		return nil, PartMeta{}, err
	}
	msg, err := s.cfg.Decode(pdu)
	if err != nil {
		return nil, PartMeta{}, fmt.Errorf("store: part %s/%d: decode: %w", id, index, err)
	}
	if len(msg.Parts) != len(m.Parts) {
		return nil, PartMeta{}, fmt.Errorf("store: part %s/%d: PDU has %d parts, metadata %d", id, index, len(msg.Parts), len(m.Parts))
	}
	return msg.Parts[index].Data, m.Parts[index], nil
}

// readPDU reads a stored PDU whole.
func (s *Store) readPDU(id string) ([]byte, error) {
	e, err := s.lookup(id)
	if err != nil {
		return nil, err
	}
	b := make([]byte, e.size)
	if _, err := s.msgs.r.ReadAt(b, e.pdu); err != nil {
		if errors.Is(err, os.ErrClosed) {
			err = ErrClosed
		}
		return nil, fmt.Errorf("store: read PDU %s: %w", id, err)
	}
	return b, nil
}
