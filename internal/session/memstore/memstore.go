// Package memstore keeps sessions and rate-limit buckets in the memory of one
// process. It is livegate's default store: nothing to set up, nothing shared,
// everything lost on restart. Use redisstore when several instances serve the
// same sessions.
//
// Time comes from an injected clock (WithClock), so that expiry, retention
// and rate limits can be tested without waiting.
package memstore

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/livegate/livegate/internal/session"
)

// DefaultSweepInterval is how often a Store looks for sessions past their
// retention when WithSweepInterval is not given.
const DefaultSweepInterval = time.Minute

// Option configures a Store or a RateLimiter. Options that do not apply to
// the value being built are ignored.
type Option func(*config)

type config struct {
	now       func() time.Time
	retention time.Duration
	sweep     time.Duration
	imageCap  int64
}

func newConfig(opts []Option) config {
	c := config{now: time.Now, retention: session.DefaultRetention, sweep: DefaultSweepInterval, imageCap: DefaultImageCap}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithClock sets the clock used for expiry, retention and rate limits
// (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.now = now
		}
	}
}

// WithRetention sets how long a session is kept after it has expired or
// ended (default session.DefaultRetention).
func WithRetention(d time.Duration) Option {
	return func(c *config) {
		if d >= 0 {
			c.retention = d
		}
	}
}

// WithSweepInterval sets how often a background sweep evicts sessions past
// their retention (default DefaultSweepInterval). Zero or less turns the
// sweep off; sessions are then evicted only when they are touched or when
// Sweep is called.
func WithSweepInterval(d time.Duration) Option {
	return func(c *config) { c.sweep = d }
}

// errClosed is returned by Ping once the store is closed.
var errClosed = errors.New("memstore: store is closed")

// Store is an in-memory session.Store. One mutex guards everything: every
// operation is a map lookup and a deep copy, so contention is short, and
// Update is atomic by construction.
type Store struct {
	now       func() time.Time
	retention time.Duration

	mu       sync.Mutex
	sessions map[string]*entry
	closed   bool

	// The evidence images (images.go): their total size under imageCap,
	// the sessions in the order their images were put (oldest evicted
	// first) and how many images the cap evicted.
	imageCap      int64
	imageBytes    int64
	imageOrder    *list.List
	imagesEvicted uint64

	stop chan struct{}
	done chan struct{}
}

type entry struct {
	s      *session.Session
	audit  []session.AuditEntry
	images *imageSet // nil when it keeps none
}

var _ session.Store = (*Store)(nil)

// New returns an empty Store. Unless the sweep is turned off, it runs one
// goroutine that Close stops.
func New(opts ...Option) *Store {
	c := newConfig(opts)
	st := &Store{
		now:        c.now,
		retention:  c.retention,
		sessions:   make(map[string]*entry),
		imageCap:   c.imageCap,
		imageOrder: list.New(),
		stop:       make(chan struct{}),
		done:       make(chan struct{}),
	}
	if c.sweep > 0 {
		go st.sweepLoop(c.sweep)
	} else {
		close(st.done)
	}
	return st
}

func (st *Store) sweepLoop(every time.Duration) {
	defer close(st.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-st.stop:
			return
		case <-t.C:
			st.Sweep()
		}
	}
}

// Sweep evicts every session past its retention and returns how many it
// evicted; it also drops the biometric values past theirs (see lookup). The
// background sweep calls it; it is exported for tests and for callers that
// turn the sweep off.
func (st *Store) Sweep() int {
	now := st.now()
	st.mu.Lock()
	defer st.mu.Unlock()
	n := 0
	for id, e := range st.sessions {
		if st.gone(e, now) {
			st.dropImages(e)
			delete(st.sessions, id)
			n++
			continue
		}
		e.expireBiometrics(now)
		st.liveImages(e, now)
	}
	return n
}

// expireBiometrics drops the session's biometric values once their
// retention has run out, and audits it. The caller holds st.mu.
func (e *entry) expireBiometrics(now time.Time) {
	if names := e.s.ExpireBiometrics(now); names != nil {
		// ChainAudit refuses only malformed entries, and this one is the
		// store's own: the purge stands either way.
		_ = e.appendAudit(e.s.DataExpiredEntry(names))
	}
}

// appendAudit adds a to the trail, chained to the entry before it
// (session.ChainAudit); a full trail drops its oldest session.AuditDropBatch
// entries and records the drop in a checkpoint. The caller holds st.mu.
func (e *entry) appendAudit(a session.AuditEntry) error {
	var head, lastDropped *session.AuditEntry
	if n := len(e.audit); n > 0 {
		head = &e.audit[n-1]
	}
	if len(e.audit) >= session.MaxAuditEntries {
		lastDropped = &e.audit[session.AuditDropBatch-1]
	}
	drop, add, err := session.ChainAudit(len(e.audit), head, lastDropped, a)
	if err != nil {
		return err
	}
	if drop > 0 {
		// Shift in place rather than reslicing forward, so the backing
		// array never grows past the cap.
		n := copy(e.audit, e.audit[drop:])
		e.audit = e.audit[:n]
	}
	e.audit = append(e.audit, add...)
	return nil
}

// Len reports how many sessions the store holds, evicted ones excluded once
// swept.
func (st *Store) Len() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.sessions)
}

// gone reports whether e is past its retention at now.
func (st *Store) gone(e *entry, now time.Time) bool {
	return !now.Before(e.s.KeepUntil(st.retention))
}

// lookup returns the live entry for id, evicting it first when it is past
// its retention, and dropping its biometric values (with a "data_expired"
// audit entry) when they are past theirs. The caller holds st.mu.
func (st *Store) lookup(id string, now time.Time) (*entry, bool) {
	e, ok := st.sessions[id]
	if !ok {
		return nil, false
	}
	if st.gone(e, now) {
		st.dropImages(e)
		delete(st.sessions, id)
		return nil, false
	}
	e.expireBiometrics(now)
	return e, true
}

// Create stores a copy of s. It returns session.ErrExists when the id is
// taken by a session still within its retention.
func (st *Store) Create(ctx context.Context, s *session.Session) error {
	if s == nil || s.ID == "" {
		return session.Errorf(session.EInvalid, "memstore: create: session has no id")
	}
	now := st.now()
	st.mu.Lock()
	defer st.mu.Unlock()
	if _, ok := st.lookup(s.ID, now); ok {
		return fmt.Errorf("memstore: create %s: %w", s.ID, session.ErrExists)
	}
	st.sessions[s.ID] = &entry{s: s.Clone()}
	return nil
}

// Get returns a copy of the session as seen now: a PENDING session past its
// expiry comes back EXPIRED even though the stored copy still says PENDING.
func (st *Store) Get(ctx context.Context, id string) (*session.Session, error) {
	now := st.now()
	st.mu.Lock()
	e, ok := st.lookup(id, now)
	var c *session.Session
	if ok {
		c = e.s.Clone()
	}
	st.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("memstore: get %s: %w", id, session.ErrNotFound)
	}
	c.Expire(now)
	return c, nil
}

// Update calls fn on a copy of the session (with expiry applied, as Get
// returns it) and stores the copy when fn returns nil. The store's lock is
// held while fn runs, so fn must be quick and must not call the store.
func (st *Store) Update(ctx context.Context, id string, fn func(*session.Session) error) (*session.Session, error) {
	now := st.now()
	st.mu.Lock()
	defer st.mu.Unlock()
	e, ok := st.lookup(id, now)
	if !ok {
		return nil, fmt.Errorf("memstore: update %s: %w", id, session.ErrNotFound)
	}
	c := e.s.Clone()
	c.Expire(now)
	if err := fn(c); err != nil {
		return nil, err
	}
	if c.ID != id {
		return nil, session.Errorf(session.EInternal, "memstore: update %s: fn changed the session id to %q", id, c.ID)
	}
	e.s = c.Clone()
	e.expireBiometrics(now)
	return e.s.Clone(), nil
}

// AppendAudit adds a copy of entry to the session's audit trail, chained to
// the entry before it (session.ChainAudit). A full trail drops its oldest
// session.AuditDropBatch entries and records the drop in a checkpoint.
func (st *Store) AppendAudit(ctx context.Context, id string, a session.AuditEntry) error {
	now := st.now()
	st.mu.Lock()
	defer st.mu.Unlock()
	e, ok := st.lookup(id, now)
	if !ok {
		return fmt.Errorf("memstore: append audit %s: %w", id, session.ErrNotFound)
	}
	if err := e.appendAudit(a); err != nil {
		return fmt.Errorf("memstore: append audit %s: %w", id, err)
	}
	return nil
}

// Audit returns a copy of the session's audit trail, oldest first; it is
// empty, not nil, for a session without entries.
func (st *Store) Audit(ctx context.Context, id string) ([]session.AuditEntry, error) {
	now := st.now()
	st.mu.Lock()
	defer st.mu.Unlock()
	e, ok := st.lookup(id, now)
	if !ok {
		return nil, fmt.Errorf("memstore: audit %s: %w", id, session.ErrNotFound)
	}
	return append([]session.AuditEntry{}, e.audit...), nil
}

// Ping reports an error once the store is closed, so that readiness checks
// fail during shutdown.
func (st *Store) Ping(ctx context.Context) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed {
		return errClosed
	}
	return nil
}

// Close stops the background sweep and waits for it to return. The sessions
// stay readable; Close may be called more than once.
func (st *Store) Close() error {
	st.mu.Lock()
	if !st.closed {
		st.closed = true
		close(st.stop)
	}
	st.mu.Unlock()
	<-st.done
	return nil
}
