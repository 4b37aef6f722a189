package memstore

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/livegate/livegate/internal/session"
)

// minSweepKeys is the number of buckets below which a RateLimiter never
// bothers to look for idle ones.
const minSweepKeys = 1024

// RateLimiter is an in-memory session.RateLimiter: one token bucket per key,
// local to this process.
//
// A bucket that has refilled to its burst is the same as no bucket at all,
// so such buckets are dropped whenever the number of buckets has doubled
// since the last look. Memory is thus bounded by about twice the number of
// keys seen within the time a bucket takes to refill.
type RateLimiter struct {
	limit session.RateLimit
	now   func() time.Time

	mu        sync.Mutex
	buckets   map[string]*bucket
	nextSweep int
}

type bucket struct {
	tokens float64
	at     time.Time // when tokens was last computed
}

var _ session.RateLimiter = (*RateLimiter)(nil)

// NewRateLimiter returns a limiter that allows limit.Burst requests at once
// per key and limit.PerSecond a second after that. Only WithClock applies.
// It panics when limit.Burst < 1 or limit.PerSecond is not a positive
// number: such a limit is a configuration error to catch at start-up.
func NewRateLimiter(limit session.RateLimit, opts ...Option) *RateLimiter {
	if err := checkLimit(limit); err != nil {
		panic("memstore: " + err.Error())
	}
	c := newConfig(opts)
	return &RateLimiter{
		limit:     limit,
		now:       c.now,
		buckets:   make(map[string]*bucket),
		nextSweep: minSweepKeys,
	}
}

func checkLimit(l session.RateLimit) error {
	if l.Burst < 1 || !(l.PerSecond > 0) || math.IsInf(l.PerSecond, 0) {
		return fmt.Errorf("bad rate limit %+v: want Burst ≥ 1 and 0 < PerSecond < +Inf", l)
	}
	return nil
}

// Allow takes a token from key's bucket. When the bucket is empty it returns
// false and how long until a token will be there.
func (rl *RateLimiter) Allow(ctx context.Context, key string) (bool, time.Duration, error) {
	now := rl.now()
	rl.mu.Lock()
	defer rl.mu.Unlock()

	b, ok := rl.buckets[key]
	if !ok {
		if len(rl.buckets) >= rl.nextSweep {
			rl.sweep(now)
		}
		b = &bucket{tokens: float64(rl.limit.Burst), at: now}
		rl.buckets[key] = b
	}
	b.tokens = rl.tokensAt(b, now)
	if now.After(b.at) {
		b.at = now // never move backwards when the clock does
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0, nil
	}
	wait := time.Duration(math.Ceil((1 - b.tokens) / rl.limit.PerSecond * float64(time.Second)))
	return false, max(wait, time.Nanosecond), nil
}

// tokensAt is what b holds at now, refilled but capped at the burst.
func (rl *RateLimiter) tokensAt(b *bucket, now time.Time) float64 {
	elapsed := now.Sub(b.at).Seconds()
	if elapsed <= 0 {
		return b.tokens
	}
	return math.Min(float64(rl.limit.Burst), b.tokens+elapsed*rl.limit.PerSecond)
}

// sweep drops the buckets that are full again. The caller holds rl.mu.
func (rl *RateLimiter) sweep(now time.Time) {
	for k, b := range rl.buckets {
		if rl.tokensAt(b, now) >= float64(rl.limit.Burst) {
			delete(rl.buckets, k)
		}
	}
	rl.nextSweep = max(minSweepKeys, 2*len(rl.buckets))
}

// Len reports how many buckets the limiter holds.
func (rl *RateLimiter) Len() int {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	return len(rl.buckets)
}
