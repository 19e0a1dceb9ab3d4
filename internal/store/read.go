package store

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// OpenPDU opens the PDU of a message as it was received, byte for byte.
func (s *Store) OpenPDU(id string) (*os.File, error) {
	if _, err := s.lookup(id); err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(s.msgDir, id+pduExt))
	if os.IsNotExist(err) {
		return nil, ErrNotFound // deleted meanwhile
	}
	if err != nil {
		return nil, fmt.Errorf("store: open PDU %s: %w", id, err)
	}
	return f, nil
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
	pdu, err := s.readPDU(&m)
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

// readPDU reads a stored PDU, refusing one whose size differs from the
// metadata (a damaged or replaced file).
func (s *Store) readPDU(m *Meta) ([]byte, error) {
	f, err := s.OpenPDU(m.ID)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, m.Size+1)
	n, err := io.ReadFull(f, buf)
	if err != io.ErrUnexpectedEOF && err != nil {
		return nil, fmt.Errorf("store: read PDU %s: %w", m.ID, err)
	}
	if int64(n) != m.Size {
		return nil, fmt.Errorf("store: PDU %s has changed size on disk", m.ID)
	}
	return buf[:n], nil
}
