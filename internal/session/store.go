package session

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"
)

// Store keeps sessions and their audit trails. Implementations must make
// Update atomic: when two callers update one session at once, each function
// sees the other's committed change or fails, never a lost update.
type Store interface {
	// Create stores a new session. It returns ErrExists for a taken id.
	Create(ctx context.Context, s *Session) error
	// Get returns a copy of the session, or ErrNotFound.
	Get(ctx context.Context, id string) (*Session, error)
	// Update loads the session, calls fn on a copy, and stores the copy if fn
	// returns nil, all atomically. It returns the stored session, or fn's
	// error (with nothing stored), or ErrNotFound.
	Update(ctx context.Context, id string, fn func(*Session) error) (*Session, error)
	// AppendAudit adds an entry to the session's audit trail, chained to
	// the entry before it as ChainAudit says, even when several callers
	// append at once; past MaxAuditEntries the oldest entries are dropped
	// and a checkpoint records it. It returns an EInvalid error for an
	// entry with Event AuditTruncated.
	AppendAudit(ctx context.Context, id string, e AuditEntry) error
	// Audit returns the session's audit trail, oldest first.
	Audit(ctx context.Context, id string) ([]AuditEntry, error)
	// Ping reports whether the store can serve requests.
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close() error
}

// RateLimiter is a token bucket per key: Allow takes one token from key's
// bucket, or says how long until one is available. Redis-backed limiters are
// shared by every instance.
type RateLimiter interface {
	Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error)
}

// RateLimit configures a token bucket: Burst tokens at most, refilled at
// PerSecond tokens a second.
type RateLimit struct {
	PerSecond float64
	Burst     int
}

// Retention is how long a store keeps a session after it has expired or
// ended, so that integrators can still fetch results.
const DefaultRetention = 7 * 24 * time.Hour

// NewID returns a fresh, unguessable, URL-safe session id: 24 bytes (192
// bits) from crypto/rand, base64url without padding (32 characters).
func NewID() string {
	var b [24]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// ValidID reports whether id has the shape NewID produces, so that obviously
// bad ids are refused before any store is asked.
func ValidID(id string) bool {
	if len(id) != 32 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// KeepUntil is when a store may forget s: its expiry or end, plus retention.
func (s *Session) KeepUntil(retention time.Duration) time.Time {
	end := s.ExpiresAt
	if !s.EndedAt.IsZero() && s.EndedAt.Before(end) {
		end = s.EndedAt
	}
	return end.Add(retention)
}

// Lockout counts failures per key in fixed windows and locks a key out for
// a while once it has had too many: LockoutPolicy.Failures failures within
// Window (counted from the first of them) lock the key for Lock. Failures
// while locked neither extend nor shorten the lock. Redis-backed lockouts
// are shared by every instance.
type Lockout interface {
	// Fail records one failure of key and returns how long key is now
	// locked: 0 when it is not.
	Fail(ctx context.Context, key string) (time.Duration, error)
	// Locked returns how long key stays locked: 0 when it is not.
	Locked(ctx context.Context, key string) (time.Duration, error)
}

// LockoutPolicy configures a Lockout.
type LockoutPolicy struct {
	Failures int           // failures within Window that lock the key, ≥ 1
	Window   time.Duration // how long a run of failures is counted
	Lock     time.Duration // how long the key is then locked
}

// Validate reports a policy that cannot be applied.
func (p LockoutPolicy) Validate() error {
	if p.Failures < 1 || p.Window <= 0 || p.Lock <= 0 {
		return fmt.Errorf("bad lockout policy %+v: want Failures ≥ 1, Window > 0 and Lock > 0", p)
	}
	return nil
}

// DeviceLockoutKey is the Lockout key of the failed attempts of one
// device_correlation_id of one API key (owner): devices are the
// integrator's names, so two integrators' devices never share a count.
func DeviceLockoutKey(owner, device string) string { return "device:" + owner + ":" + device }

// IPLockoutKey is the Lockout key of the failed attempts from one client
// address.
func IPLockoutKey(ip string) string { return "ip:" + ip }
