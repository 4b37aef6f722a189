package session

import (
	"context"
	"crypto/rand"
	"encoding/base64"
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
