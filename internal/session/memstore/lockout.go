package memstore

import (
	"context"
	"sync"
	"time"

	"github.com/livegate/livegate/internal/session"
)

// Lockout is an in-memory session.Lockout, local to this process. Like the
// RateLimiter, it drops the records that no longer matter (no lock, no
// failure within the window) whenever their number has doubled since the
// last look, so memory is bounded by the keys that failed recently.
type Lockout struct {
	policy session.LockoutPolicy
	now    func() time.Time

	mu        sync.Mutex
	keys      map[string]*failures
	nextSweep int
}

type failures struct {
	n      int       // failures in the window that began at start
	start  time.Time // the first failure of the window
	locked time.Time // locked until then
}

var _ session.Lockout = (*Lockout)(nil)

// NewLockout returns a lockout with policy. Only WithClock applies. It
// panics on a policy that does not validate: a configuration error to
// catch at start-up.
func NewLockout(policy session.LockoutPolicy, opts ...Option) *Lockout {
	if err := policy.Validate(); err != nil {
		panic("memstore: " + err.Error())
	}
	c := newConfig(opts)
	return &Lockout{policy: policy, now: c.now, keys: make(map[string]*failures), nextSweep: minSweepKeys}
}

// Fail records a failure of key.
func (l *Lockout) Fail(ctx context.Context, key string) (time.Duration, error) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.keys[key]
	if !ok {
		if len(l.keys) >= l.nextSweep {
			l.sweep(now)
		}
		f = &failures{start: now}
		l.keys[key] = f
	}
	if now.Before(f.locked) {
		return f.locked.Sub(now), nil
	}
	if now.Sub(f.start) >= l.policy.Window {
		f.n, f.start = 0, now
	}
	f.n++
	if f.n < l.policy.Failures {
		return 0, nil
	}
	f.n, f.start, f.locked = 0, now, now.Add(l.policy.Lock)
	return l.policy.Lock, nil
}

// Locked returns how long key stays locked.
func (l *Lockout) Locked(ctx context.Context, key string) (time.Duration, error) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if f, ok := l.keys[key]; ok && now.Before(f.locked) {
		return f.locked.Sub(now), nil
	}
	return 0, nil
}

// sweep drops the records that neither lock nor count. The caller holds l.mu.
func (l *Lockout) sweep(now time.Time) {
	for k, f := range l.keys {
		if !now.Before(f.locked) && now.Sub(f.start) >= l.policy.Window {
			delete(l.keys, k)
		}
	}
	l.nextSweep = max(minSweepKeys, 2*len(l.keys))
}

// Len reports how many keys the lockout remembers.
func (l *Lockout) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}
