package phones

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/homemmsc/homemmsc/internal/atomicfile"
)

// Errors of the registry. Each error wraps one of these.
var (
	ErrFixed    = errors.New("phones: phone comes from -phones and cannot be changed here")
	ErrNotFound = errors.New("phones: no such phone")
)

// visitSaveDelay is how long a new visit waits before it is written: a
// phone posting many messages in a row costs one write, and a crash loses
// at most this much of "last seen", which is only informative.
const visitSaveDelay = 30 * time.Second

// Visit is the last request a phone made to the MMSC listener: it shows
// the owner whether the carrier lets the phone reach the appliance.
type Visit struct {
	Time      time.Time `json:"time"`
	Remote    string    `json:"remote"`               // ip:port as the listener saw it
	UserAgent string    `json:"user_agent,omitempty"` // as sent, cleaned by the caller
	Profile   string    `json:"profile,omitempty"`    // x-wap-profile
	What      string    `json:"what"`                 // "send", "retrieve", "notifyresp", ...
}

// Registry is the set of phones the MMSC knows: the fixed ones from the
// -phones setting and the ones the owner paired in the inbox, which it
// keeps in a file. It is safe for concurrent use.
type Registry struct {
	path, visitsPath string

	mu       sync.RWMutex
	fixed    []Phone
	paired   []Phone
	fallback map[string]bool  // fixed phones' Fallback, by number
	limits   map[string]int   // fixed phones' MaxMessage, by number
	visits   map[string]Visit // by token
	timer    *time.Timer      // pending visit save, if any
	warnings []string
}

// file is phones.json.
type file struct {
	Paired        []Phone        `json:"paired"`
	FixedFallback []string       `json:"fixed_fallback,omitempty"`    // numbers of -phones entries with Fallback on
	FixedLimits   map[string]int `json:"fixed_max_message,omitempty"` // MaxMessage of -phones entries, by number
}

// Open loads the paired phones from path (a missing file is an empty
// list) and puts the fixed ones, which must be valid (ParsePhones checks
// them), in front. A paired phone whose token or number a fixed one
// already uses is left out and reported by Warnings: the -phones setting
// wins. path == "" keeps paired phones in memory only.
func Open(path string, fixed []Phone) (*Registry, error) {
	r := &Registry{path: path, fallback: map[string]bool{}, limits: map[string]int{}, visits: map[string]Visit{}}
	for _, p := range fixed {
		p.Fixed, p.Paired = true, time.Time{}
		r.fixed = append(r.fixed, p)
	}
	if err := CheckPhones(r.fixed); err != nil {
		return nil, err
	}
	if path == "" {
		return r, nil
	}
	r.visitsPath = strings.TrimSuffix(path, ".json") + "-seen.json"
	var f file
	if err := readJSON(path, &f); err != nil {
		return nil, err
	}
	for _, p := range f.Paired {
		r.addLoaded(p)
	}
	for _, n := range f.FixedFallback {
		r.fallback[n] = true
	}
	for n, v := range f.FixedLimits {
		if validLimit(v) {
			r.limits[n] = v
		}
	}
	// Visits are informative: a damaged file only loses "last seen".
	_ = readJSON(r.visitsPath, &r.visits)
	return r, nil
}

// addLoaded adds a phone read from the file, unless it is invalid or
// clashes with one already there.
func (r *Registry) addLoaded(p Phone) {
	p.Fixed = false
	if err := p.Validate(); err != nil {
		r.warnings = append(r.warnings, fmt.Sprintf("paired phone %q ignored: %v", p.Name, err))
		return
	}
	if q, ok := r.clash(p.Token, p.Number); ok {
		r.warnings = append(r.warnings, fmt.Sprintf("paired phone %q ignored: same token or number as %q", p.Name, q.Name))
		return
	}
	r.paired = append(r.paired, p)
}

// Warnings are the problems Open found and worked around, for the log.
func (r *Registry) Warnings() []string { return slices.Clone(r.warnings) }

// all yields every phone, the fixed ones first, without copying them:
// ByToken and ByNumber run on every MMS request. The caller holds r.mu.
func (r *Registry) all() iter.Seq[Phone] {
	return func(yield func(Phone) bool) {
		for _, list := range [2][]Phone{r.fixed, r.paired} {
			for _, p := range list {
				if !yield(p) {
					return
				}
			}
		}
	}
}

func (r *Registry) clash(token, number string) (Phone, bool) {
	for q := range r.all() {
		if q.Token == token || SameNumber(q.Number, number) {
			return q, true
		}
	}
	return Phone{}, false
}

// withFallback fills in a fixed phone's Fallback and MaxMessage from
// the file.
func (r *Registry) withFallback(p Phone) Phone {
	if p.Fixed {
		p.Fallback = r.fallback[p.Number]
		p.MaxMessage = r.limits[p.Number]
	}
	return p
}

// ByToken finds the phone whose URL token is tok. It compares tok with
// every token in constant time, so the time to refuse a token says
// nothing about how much of it was right.
func (r *Registry) ByToken(tok string) (Phone, bool) {
	if r == nil {
		return Phone{}, false
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	var found Phone
	ok := 0
	for p := range r.all() {
		if subtle.ConstantTimeCompare([]byte(p.Token), []byte(tok)) == 1 {
			found, ok = p, 1
		}
	}
	return r.withFallback(found), ok == 1
}

// ByNumber finds the phone with number n, in any form SameNumber accepts.
func (r *Registry) ByNumber(n string) (Phone, bool) {
	if r == nil {
		return Phone{}, false
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	for p := range r.all() {
		if SameNumber(p.Number, n) {
			return r.withFallback(p), true
		}
	}
	return Phone{}, false
}

// List returns every phone: the fixed ones first, in their order, then
// the paired ones by name.
func (r *Registry) List() []Phone {
	if r == nil {
		return nil
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	paired := slices.Clone(r.paired)
	slices.SortStableFunc(paired, func(a, b Phone) int { return strings.Compare(a.Name, b.Name) })
	out := make([]Phone, 0, len(r.fixed)+len(paired))
	for _, p := range append(slices.Clone(r.fixed), paired...) {
		out = append(out, r.withFallback(p))
	}
	return out
}

// LogMMSCURLs logs, for each phone, the MMSC URL to set in it: base, then
// /mms/ and its token. Tokens are shortened: the owner has them in the
// phone list.
func (r *Registry) LogMMSCURLs(log *slog.Logger, base string) {
	for _, p := range r.List() {
		log.Info("homemmsc: MMSC URL for phone", "name", p.Name, "number", p.Number,
			"url", base+"/mms/"+p.Token[:4]+"…(its token)")
	}
}

// Len is the number of phones.
func (r *Registry) Len() int {
	if r == nil {
		return 0
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.fixed) + len(r.paired)
}

// Add pairs a new phone: it checks the name and number, generates its
// token and saves the list durably before returning it.
func (r *Registry) Add(name, number string) (Phone, error) {
	p := Phone{Name: strings.TrimSpace(name), Number: Normalize(number), Paired: time.Now().UTC().Truncate(time.Second)}
	if p.Number == "" {
		p.Number = strings.TrimSpace(number) // Validate names the bad input
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.fixed)+len(r.paired) >= MaxPhones {
		return Phone{}, fmt.Errorf("%w: at most %d", ErrTooManyPhones, MaxPhones)
	}
	for {
		tok, err := newToken()
		if err != nil {
			return Phone{}, err
		}
		if _, taken := r.clash(tok, ""); !taken {
			p.Token = tok
			break
		}
	}
	if err := p.Validate(); err != nil {
		return Phone{}, err
	}
	if q, ok := r.clash(p.Token, p.Number); ok {
		return Phone{}, fmt.Errorf("%w: %q already has number %s", ErrDupPhone, q.Name, q.Number)
	}
	r.paired = append(r.paired, p)
	if err := r.save(); err != nil {
		r.paired = r.paired[:len(r.paired)-1]
		return Phone{}, err
	}
	return p, nil
}

// newToken returns 144 random bits in base64url: 24 characters that pass
// CheckToken (it retries the rare draw with too few distinct characters).
func newToken() (string, error) {
	for {
		var b [18]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", fmt.Errorf("phones: no randomness for a token: %w", err)
		}
		tok := base64.RawURLEncoding.EncodeToString(b[:])
		if CheckToken(tok) == nil {
			return tok, nil
		}
	}
}

// Remove unpairs the phone with this token and forgets its visits.
func (r *Registry) Remove(token string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	i, err := r.pairedIndex(token)
	if err != nil {
		return err
	}
	old := slices.Clone(r.paired)
	r.paired = slices.Delete(r.paired, i, i+1)
	if err := r.save(); err != nil {
		r.paired = old
		return err
	}
	delete(r.visits, token)
	return nil
}

// pairedIndex finds a paired phone by token; fixed ones give ErrFixed.
func (r *Registry) pairedIndex(token string) (int, error) {
	for _, p := range r.fixed {
		if p.Token == token {
			return -1, ErrFixed
		}
	}
	for i, p := range r.paired {
		if p.Token == token {
			return i, nil
		}
	}
	return -1, ErrNotFound
}

// SetFallback turns the plain-text fallback of one phone on or off. It
// works for fixed phones too: the setting is the owner's, kept in the file.
func (r *Registry) SetFallback(token string, on bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.fixed {
		if p.Token == token {
			was := r.fallback[p.Number]
			r.setFixedFallback(p.Number, on)
			if err := r.save(); err != nil {
				r.setFixedFallback(p.Number, was)
				return err
			}
			return nil
		}
	}
	i, err := r.pairedIndex(token)
	if err != nil {
		return err
	}
	was := r.paired[i].Fallback
	r.paired[i].Fallback = on
	if err := r.save(); err != nil {
		r.paired[i].Fallback = was
		return err
	}
	return nil
}

// SetMaxMessage sets one phone's MaxMessage (0 = DefaultMaxMessage), for
// fixed phones too, like SetFallback.
func (r *Registry) SetMaxMessage(token string, n int) error {
	if n != 0 && !validLimit(n) {
		return fmt.Errorf("%w: size limit %d not within %d-%d bytes", ErrBadPhone, n, MinMaxMessage, MaxMaxMessage)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.fixed {
		if p.Token == token {
			was, had := r.limits[p.Number]
			r.setFixedLimit(p.Number, n)
			if err := r.save(); err != nil {
				if r.setFixedLimit(p.Number, 0); had {
					r.limits[p.Number] = was
				}
				return err
			}
			return nil
		}
	}
	i, err := r.pairedIndex(token)
	if err != nil {
		return err
	}
	was := r.paired[i].MaxMessage
	r.paired[i].MaxMessage = n
	if err := r.save(); err != nil {
		r.paired[i].MaxMessage = was
		return err
	}
	return nil
}

func (r *Registry) setFixedLimit(number string, n int) {
	if n == 0 {
		delete(r.limits, number)
	} else {
		r.limits[number] = n
	}
}

func validLimit(n int) bool { return n >= MinMaxMessage && n <= MaxMaxMessage }

func (r *Registry) setFixedFallback(number string, on bool) {
	if on {
		r.fallback[number] = true
	} else {
		delete(r.fallback, number)
	}
}

// save writes phones.json durably; the caller holds mu.
func (r *Registry) save() error {
	if r.path == "" {
		return nil
	}
	f := file{Paired: r.paired}
	if f.Paired == nil {
		f.Paired = []Phone{}
	}
	for _, p := range r.fixed {
		if r.fallback[p.Number] {
			f.FixedFallback = append(f.FixedFallback, p.Number)
		}
		if v, ok := r.limits[p.Number]; ok {
			if f.FixedLimits == nil {
				f.FixedLimits = map[string]int{}
			}
			f.FixedLimits[p.Number] = v
		}
	}
	return save(r.path, f, true)
}

// Saw records v as the last visit of the phone with this token. The
// visits file is written a little later (visitSaveDelay), not in the
// request's path.
func (r *Registry) Saw(token string, v Visit) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.visits[token] = v
	if r.visitsPath != "" && r.timer == nil {
		r.timer = time.AfterFunc(visitSaveDelay, func() { _ = r.Flush() })
	}
}

// LastVisit returns the last recorded visit of a phone.
func (r *Registry) LastVisit(token string) (Visit, bool) {
	if r == nil {
		return Visit{}, false
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	v, ok := r.visits[token]
	return v, ok
}

// Flush writes the visits now; Close calls it.
func (r *Registry) Flush() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
	if r.visitsPath == "" {
		return nil
	}
	known := make(map[string]Visit, len(r.visits))
	for tok, v := range r.visits {
		if _, ok := r.clash(tok, ""); ok { // only phones still here
			known[tok] = v
		}
	}
	return save(r.visitsPath, known, false)
}

// Close writes the pending visits.
func (r *Registry) Close() error {
	if r == nil {
		return nil
	}
	return r.Flush()
}

// save replaces path with v as indented JSON (people read these files):
// atomically, and durably when asked. The files hold the phones' tokens;
// atomicfile creates them with mode 0600.
func save(path string, v any, durable bool) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err == nil {
		err = atomicfile.Write(path, append(b, '\n'), durable)
	}
	if err != nil {
		return fmt.Errorf("phones: saving %s: %w", path, err)
	}
	return nil
}

// readJSON decodes path into v; a missing file leaves v alone.
func readJSON(path string, v any) error {
	err := atomicfile.ReadJSON(path, v)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("phones: %w", err)
	}
	return nil
}
