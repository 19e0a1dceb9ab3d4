package adapt

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/homemmsc/homemmsc/internal/atomicfile"
	"github.com/homemmsc/homemmsc/internal/mms"
)

// Limits of an adaptation.
const (
	MaxPixels = 50_000_000 // larger pictures are not decoded (75 MB for a 4:2:0 JPEG) and stay as they are
	MaxSide   = 1600       // longest side of an adapted picture, in pixels
	MinSide   = 96         // a picture is not made smaller than this
	maxRounds = 3          // passes over the pictures before giving up
	cacheVer  = "v1"       // in cache file names: bump when the output changes
	nofitExt  = ".nofit"   // an empty file: the message did not fit that limit
	slack     = 1 << 10    // bytes kept free for headers that grow (a new Content-Location)
)

// ErrNoFit means the message cannot be made to fit: the parts Fit may
// not change are too large on their own, or the pictures would have to
// be smaller than MinSide.
var ErrNoFit = errors.New("adapt: message does not fit the limit")

// Config configures an Adapter. Dir is required.
type Config struct {
	Dir    string        // the cache of adapted messages; created if missing
	MaxAge time.Duration // cache entries older than this are removed; if zero, 8 days
	Now    func() time.Time
	Logger *slog.Logger // if nil, logs are discarded
}

// Adapter fits messages to phones' size limits and caches the results.
// Its methods are safe for concurrent use; adaptations run one at a time.
type Adapter struct {
	cfg Config
	log *slog.Logger
	mu  sync.Mutex // one adaptation at a time: each holds a decoded picture

	adapted int // adaptations done (not from the cache), under mu; for tests
}

// New returns an Adapter caching in cfg.Dir.
func New(cfg Config) (*Adapter, error) {
	if cfg.Dir == "" {
		return nil, errors.New("adapt: no cache directory")
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, err
	}
	if cfg.MaxAge == 0 {
		cfg.MaxAge = 8 * 24 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	atomicfile.RemoveTemps(cfg.Dir)
	return &Adapter{cfg: cfg, log: log}, nil
}

// Fit returns a copy of conf, the M-Retrieve.conf of stored message id,
// whose pictures are made smaller so that it encodes to at most limit
// bytes, from the cache when an earlier fetch made it. size is the
// length of conf's encoding, which the caller made to find it too large
// (Fit returns conf itself when size <= limit or limit <= 0): passing it
// spares a second copy of a large message. conf is not modified. With an
// error (ErrNoFit, or a cache that cannot be written) Fit still returns a
// message to send: conf, or the adapted one that was not cached.
func (a *Adapter) Fit(id string, limit int, conf *mms.Message, size int) (*mms.Message, error) {
	if limit <= 0 || size <= limit {
		return conf, nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	base := filepath.Join(a.cfg.Dir, id+"."+strconv.Itoa(limit)+"."+cacheVer)
	path := base + ".mms"
	if c, ok := a.cached(path, limit); ok {
		return withParts(conf, c), nil
	}
	if _, err := os.Stat(base + nofitExt); err == nil {
		return conf, fmt.Errorf("adapt %s to %d bytes: %w (as before)", id, limit, ErrNoFit)
	}
	start := time.Now()
	out, n, err := fit(conf, size, limit)
	a.adapted++
	if errors.Is(err, ErrNoFit) {
		// A phone retries its fetch: remember the verdict rather than
		// decode the pictures again each time.
		a.prune()
		atomicfile.Write(base+nofitExt, nil, false)
	}
	if err != nil {
		return conf, fmt.Errorf("adapt %s to %d bytes: %w", id, limit, err)
	}
	a.log.Info("adapt: fitted", "id", id, "limit", limit, "from", size, "to", n,
		"took", time.Since(start).Round(time.Millisecond))
	if err := a.save(path, out); err != nil {
		return out, fmt.Errorf("adapt: cache %s: %w", id, err)
	}
	return out, nil
}

// withParts is conf with the content type and parts of c.
func withParts(conf, c *mms.Message) *mms.Message {
	out := *conf
	out.ContentType, out.Parts = c.ContentType, c.Parts
	return &out
}

// cached reads an adapted message from the cache.
func (a *Adapter) cached(path string, limit int) (*mms.Message, bool) {
	b, err := os.ReadFile(path)
	if err != nil || len(b) > limit {
		return nil, false
	}
	m, err := mms.Decode(b)
	if err != nil {
		a.log.Warn("adapt: cache entry unreadable, adapting again", "file", filepath.Base(path), "err", err)
		return nil, false
	}
	return m, true
}

// save writes out's content type and parts to the cache and removes
// entries older than MaxAge. A cache need not survive a power cut.
func (a *Adapter) save(path string, out *mms.Message) error {
	c := &mms.Message{Type: mms.TypeRetrieveConf, Version: out.Version, ContentType: out.ContentType, Parts: out.Parts}
	b, err := c.Encode()
	if err != nil {
		return err
	}
	a.prune()
	return atomicfile.Write(path, b, false)
}

func (a *Adapter) prune() {
	des, err := os.ReadDir(a.cfg.Dir)
	if err != nil {
		return
	}
	old := a.cfg.Now().Add(-a.cfg.MaxAge)
	for _, de := range des {
		name := de.Name()
		if fi, err := de.Info(); err == nil && (strings.HasSuffix(name, ".mms") || strings.HasSuffix(name, nofitExt)) && fi.ModTime().Before(old) {
			os.Remove(filepath.Join(a.cfg.Dir, name))
		}
	}
}

// encodedSize is the size of m's PDU; a message that does not encode
// counts as fitting nothing.
func encodedSize(m *mms.Message) int {
	b, err := m.Encode()
	if err != nil {
		return int(^uint(0) >> 1)
	}
	return len(b)
}
