package store

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/homemmsc/homemmsc/internal/mms"
)

// Errors returned by the store. Callers test them with errors.Is.
var (
	ErrNotFound  = errors.New("store: message not found")
	ErrFull      = errors.New("store: full") // transient: quota or free-space floor reached, or ENOSPC/EDQUOT
	ErrInvalidID = errors.New("store: invalid message id")
	ErrTooLarge  = errors.New("store: PDU too large")
	ErrInvalid   = errors.New("store: invalid input")
	ErrLocked    = errors.New("store: directory in use by another process")
	ErrClosed    = errors.New("store: closed")
	ErrNoPart    = errors.New("store: no such part")
)

// Limits on what Put accepts and records.
const (
	MaxPDUSize     = 8 << 20 // largest PDU Put stores (the HTTP handler caps bodies lower)
	MaxHints       = 16      // request hints kept per message; the rest are dropped
	MaxHintLen     = 512     // bytes per hint key or value, longer ones are cut
	MaxTextLen     = 1024    // bytes per recorded address, subject, name or id
	MaxRecipients  = 256     // To+Cc+Bcc addresses recorded per message
	defaultMinFree = DefaultMinFree
)

// DefaultMinFree is Config.MinFree when zero: the free-space floor.
const DefaultMinFree = 32 << 20

// Config configures a Store. Its zero value is not usable: Dir is required.
type Config struct {
	Dir      string // state directory; created if missing
	MaxBytes int64  // quota on stored bytes (PDUs and metadata); 0 = none
	MinFree  int64  // refuse new messages when the filesystem would have less free; if zero, 32 MiB; negative = no floor

	Now         func() time.Time // if nil, time.Now
	ClockSynced func() bool      // if nil, the clock counts as unsynchronised
	Logger      *slog.Logger     // if nil, logs are discarded

	// Decode parses a stored PDU for Part; if nil, mms.Decode.
	Decode func([]byte) (*mms.Message, error)

	fs fileSystem // if nil, the real filesystem; tests inject faults here
}

// Sender says who sent a message and how the MMSC identified them.
type Sender struct {
	Number string `json:"number,omitempty"` // a phone number, or the e-mail or IP address the PDU gave
	Name   string `json:"name,omitempty"`   // the paired phone's name, for SourceToken only
	Source string `json:"source"`           // one of the Source constants
}

// Sender sources: how the MMSC identified a sender. Only the token proves
// anything; the others are what the request says.
const (
	SourceToken = "token" // the paired phone's URL token: proven
	SourceFrom  = "from"  // the From address in the PDU: claimed
	SourceQuery = "query" // ?n= on the open endpoint: claimed
	SourceNone  = "none"  // nothing
)

// Proven reports whether the sender was identified by a paired phone's
// token rather than by what the message or the URL claims.
func (s Sender) Proven() bool { return s.Source == SourceToken }

// Shown is the sender as the OLED and the owner's SMS show it: the
// paired phone's name (or number) when proven; else the address, with
// claimed set. A name stored with a claimed sender by an older version is
// ignored, and so is a claimed "address" that is none (free text an
// older version took from a PDU's From: mms.ValidSender): "unknown
// sender".
func (s Sender) Shown() (who string, claimed bool) {
	addr := mms.BareAddress(s.Number)
	switch {
	case s.Proven() && s.Name != "":
		return s.Name, false
	case s.Proven() && addr != "":
		return addr, false
	case addr == "" || !mms.ValidSender(addr):
		return "unknown sender", false
	}
	return addr, true
}

// Label is Shown as one string: "Anna", "+15557654321 (claimed)".
func (s Sender) Label() string {
	who, claimed := s.Shown()
	if claimed {
		return who + " (claimed)"
	}
	return who
}

// Incoming is a message as the MMSC received it.
type Incoming struct {
	PDU        []byte       // the M-Send.req exactly as received
	Msg        *mms.Message // PDU decoded; required
	Sender     Sender
	Hints      map[string]string // request headers that identify the phone (User-Agent, x-wap-profile, MSISDN hints)
	RemoteAddr string
}

// PartMeta describes one part of a stored message. Name is what the PDU
// called the part and is only ever shown, never used as a path; File is
// the safe name the store generated ("part-01.jpg").
type PartMeta struct {
	Index       int    `json:"index"` // 0-based position in the PDU's multipart body
	ContentType string `json:"contentType"`
	Charset     string `json:"charset,omitempty"`
	Name        string `json:"name,omitempty"`
	ContentID   string `json:"contentId,omitempty"`
	File        string `json:"file"`
	Size        int64  `json:"size"`
}

// Meta is what the store knows about a message. Get and Query read it
// from the log for their caller; the Meta of an Event is shared by
// every subscriber, who must not modify its slices or map.
type Meta struct {
	ID            string            `json:"id"`
	Received      time.Time         `json:"received"`
	ClockSynced   bool              `json:"clockSynced"`
	Sender        Sender            `json:"sender"`
	To            []string          `json:"to,omitempty"`
	Cc            []string          `json:"cc,omitempty"`
	Bcc           []string          `json:"bcc,omitempty"`
	Subject       string            `json:"subject,omitempty"`
	TransactionID string            `json:"transactionId,omitempty"`
	Version       string            `json:"version,omitempty"`
	ContentType   string            `json:"contentType,omitempty"`
	Parts         []PartMeta        `json:"parts,omitempty"`
	Size          int64             `json:"size"` // PDU bytes
	Seen          bool              `json:"seen"`
	Hints         map[string]string `json:"hints,omitempty"`
	RemoteAddr    string            `json:"remoteAddr,omitempty"`
	// Delivery is the delivery to paired phones (issue 7), one entry per
	// recipient, as internal/deliver last recorded it with SetDelivery.
	Delivery []Delivery `json:"delivery,omitempty"`

	seq uint64 // from ID
}

// EventKind says what changed.
type EventKind int

// Event kinds.
const (
	Stored  EventKind = iota + 1 // a new message is durable
	Changed                      // its seen state changed
	Deleted                      // it is gone
	// Resync tells a Subscription's consumer that Changed or Deleted
	// events were dropped from its full queue: it re-reads what it keeps
	// of the store's state. (Dropped Stored events are read back instead.)
	Resync
)

func (k EventKind) String() string {
	switch k {
	case Stored:
		return "stored"
	case Changed:
		return "changed"
	case Deleted:
		return "deleted"
	case Resync:
		return "resync"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event tells a subscriber about a change.
type Event struct {
	Kind EventKind
	Meta Meta
}

// Stats summarises the store.
type Stats struct {
	Messages    int
	New         int   // messages not yet seen
	Bytes       int64 // stored bytes (PDUs and their latest metadata lines in the log)
	FreeBytes   int64 // free bytes on the filesystem for unprivileged users; -1 if unknown
	LastError   string
	LastErrorAt time.Time
	// Full says why the last message was refused for lack of space
	// (FullQuota or FullDisk) while a message of its size would still be
	// refused; "" once there is room for it again.
	Full       string
	FullSince  time.Time // when that message was refused
	FullNeeded int64     // the bytes it needed (its PDU and metadata)
}

// Why a message was refused for lack of space (Stats.Full).
const (
	FullQuota = "quota" // Config.MaxBytes reached
	FullDisk  = "disk"  // the free-space floor, or the filesystem said ENOSPC or EDQUOT
)

// Store is the message store. Its methods are safe for concurrent use.
type Store struct {
	dir, msgDir string
	cfg         Config
	fs          fileSystem
	log         *slog.Logger
	lock        *os.File // flock held while open

	// mutateMu serialises changes to existing entries (SetSeen,
	// MarkAllSeen, Delete, update) so that a put line for a changed
	// message cannot follow its del line and resurrect it. Put needs no part of it: its id
	// is new.
	mutateMu sync.Mutex

	msgs *msgLog // the message log; set by Open

	mu        sync.RWMutex // guards the fields below
	closed    bool
	entries   []entry // the index: one per message, by sequence, oldest first
	texts     *texts  // the index's senders, recipients and subjects
	nextSeq   uint64
	ckptAt    int64 // the log's size that the checkpoint Open read covers; -1: none
	ckptFile  int64 // the log's size that the checkpoint file covers now; -1: none
	junk      int64 // unreadable bytes Open kept in the log (no room to compact them away)
	bytes     int64 // log bytes of committed entries (PDUs and their latest lines)
	reserved  int64 // bytes reserved by Puts in flight
	unseen    int
	lastErr   string
	lastErrAt time.Time
	refused   refusal         // the last Put refused for lack of space
	subs      []*Subscription // Subscribe's, in order
	inflight  sync.WaitGroup  // writers in progress; Close waits for them
}

// Open opens or creates the store in cfg.Dir, takes an exclusive lock on
// it, imports a store of an earlier layout, repairs what a crash left and
// rebuilds the index from the log.
func Open(cfg Config) (*Store, error) {
	if cfg.Dir == "" {
		return nil, fmt.Errorf("%w: empty Dir", ErrInvalid)
	}
	s := &Store{
		dir:    cfg.Dir,
		msgDir: filepath.Join(cfg.Dir, "messages"),
		cfg:    cfg,
		fs:     cfg.fs,
		log:    cfg.Logger,
	}
	if s.fs == nil {
		s.fs = osFS{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.cfg.Now == nil {
		s.cfg.Now = time.Now
	}
	if s.cfg.ClockSynced == nil {
		s.cfg.ClockSynced = func() bool { return false }
	}
	if s.cfg.Decode == nil {
		s.cfg.Decode = mms.Decode
	}
	if s.cfg.MinFree == 0 {
		s.cfg.MinFree = defaultMinFree
	}
	if err := os.MkdirAll(s.dir, 0o750); err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	if err := s.takeLock(); err != nil {
		return nil, err
	}
	if err := s.recover(); err != nil {
		s.lock.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) takeLock() error {
	f, err := os.OpenFile(filepath.Join(s.dir, "lock"), os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return fmt.Errorf("store: open: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return fmt.Errorf("%w: %s", ErrLocked, s.dir)
		}
		return fmt.Errorf("store: lock %s: %w", s.dir, err)
	}
	s.lock = f
	return nil
}

// Close waits for writes in progress, writes the index checkpoint (see
// the package documentation), then releases the directory lock.
// Later calls that write return ErrClosed, and so do reads of a
// message's metadata, which is in the log (Get reports it not found);
// Stats keeps working on the index.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.inflight.Wait()
	s.writeCheckpoint()
	err := s.msgs.close()
	if lerr := s.lock.Close(); err == nil { // closing the descriptor drops the flock
		err = lerr
	}
	return err
}

// begin registers a writer; it fails once Close has started. The caller
// must call s.inflight.Done when it returns.
func (s *Store) begin() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.inflight.Add(1)
	return nil
}

// setError records err for Stats and logs it.
func (s *Store) setError(op string, err error) {
	now := s.cfg.Now()
	s.log.Error("store: "+op+" failed", "err", err)
	s.mu.Lock()
	s.lastErr = op + ": " + err.Error()
	s.lastErrAt = now
	s.mu.Unlock()
}
