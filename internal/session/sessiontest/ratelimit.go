package sessiontest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/session"
)

// NewLimiterFunc builds a fresh limiter with the given limit for one test,
// reading the time from now. Its buckets must start empty of history: every
// key's bucket full.
type NewLimiterFunc func(t *testing.T, limit session.RateLimit, now func() time.Time) session.RateLimiter

// retryTolerance is how far a limiter's retryAfter may be above the exact
// figure: limiters may round up, to the millisecond at most.
const retryTolerance = time.Millisecond

// TestRateLimiter runs the session.RateLimiter contract against the limiters
// newLimiter builds.
func TestRateLimiter(t *testing.T, newLimiter NewLimiterFunc) {
	tests := []struct {
		name  string
		limit session.RateLimit
		fn    func(t *testing.T, rl session.RateLimiter, clock *Clock)
	}{
		{"BurstThenDenied", session.RateLimit{PerSecond: 1, Burst: 3}, testBurst},
		{"RefillsWithTime", session.RateLimit{PerSecond: 2, Burst: 2}, testRefill},
		{"RefillCappedAtBurst", session.RateLimit{PerSecond: 10, Burst: 4}, testRefillCap},
		{"KeysIndependent", session.RateLimit{PerSecond: 1, Burst: 2}, testKeysIndependent},
		{"SlowRate", session.RateLimit{PerSecond: 1.0 / 60, Burst: 1}, testSlowRate},
		{"ConcurrentExactBurst", session.RateLimit{PerSecond: 0.5, Burst: 5}, testConcurrentBurst},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := NewClock(Start)
			tt.fn(t, newLimiter(t, tt.limit, clock.Now), clock)
		})
	}
}

// allow calls rl.Allow and fails t on an error.
func allow(t *testing.T, rl session.RateLimiter, key string) (bool, time.Duration) {
	t.Helper()
	ok, retry, err := rl.Allow(context.Background(), key)
	if err != nil {
		t.Fatalf("Allow(%q): %v", key, err)
	}
	return ok, retry
}

// allowN fails t unless the next n calls for key are allowed.
func allowN(t *testing.T, rl session.RateLimiter, key string, n int) {
	t.Helper()
	for i := range n {
		if ok, retry := allow(t, rl, key); !ok {
			t.Fatalf("Allow(%q) #%d: got denied (retry after %v); want allowed", key, i+1, retry)
		}
	}
}

// denied fails t unless the next call for key is denied with a retryAfter
// of want, give or take retryTolerance; it returns the retryAfter.
func denied(t *testing.T, rl session.RateLimiter, key string, want time.Duration) time.Duration {
	t.Helper()
	ok, retry := allow(t, rl, key)
	if ok {
		t.Fatalf("Allow(%q): got allowed; want denied with retry after %v", key, want)
	}
	if retry < want-retryTolerance || retry > want+retryTolerance {
		t.Fatalf("Allow(%q) retry after: got %v; want %v", key, retry, want)
	}
	return retry
}

func testBurst(t *testing.T, rl session.RateLimiter, clock *Clock) {
	allowN(t, rl, "k", 3)
	denied(t, rl, "k", time.Second)
	// Denied calls take nothing: still a second to wait.
	denied(t, rl, "k", time.Second)
	ok, retry := allow(t, rl, "k")
	if ok || retry <= 0 {
		t.Fatalf("Allow when empty: got %v, retry after %v; want false with a positive retry", ok, retry)
	}
}

func testRefill(t *testing.T, rl session.RateLimiter, clock *Clock) {
	allowN(t, rl, "k", 2)
	denied(t, rl, "k", 500*time.Millisecond)
	clock.Advance(200 * time.Millisecond)
	retry := denied(t, rl, "k", 300*time.Millisecond)
	clock.Advance(retry) // waiting as told is enough
	allowN(t, rl, "k", 1)
	denied(t, rl, "k", 500*time.Millisecond)
	clock.Advance(time.Second)
	allowN(t, rl, "k", 2)
	denied(t, rl, "k", 500*time.Millisecond)
}

func testRefillCap(t *testing.T, rl session.RateLimiter, clock *Clock) {
	allowN(t, rl, "k", 4)
	clock.Advance(time.Hour)
	allowN(t, rl, "k", 4)
	denied(t, rl, "k", 100*time.Millisecond)
}

func testKeysIndependent(t *testing.T, rl session.RateLimiter, clock *Clock) {
	allowN(t, rl, "device:a", 2)
	denied(t, rl, "device:a", time.Second)
	allowN(t, rl, "device:b", 2)
	denied(t, rl, "device:b", time.Second)
	allowN(t, rl, "", 2) // the empty key is a key like any other
	denied(t, rl, "device:a", time.Second)
}

func testSlowRate(t *testing.T, rl session.RateLimiter, clock *Clock) {
	allowN(t, rl, "k", 1)
	denied(t, rl, "k", time.Minute)
	clock.Advance(59 * time.Second)
	denied(t, rl, "k", time.Second)
	clock.Advance(time.Second)
	allowN(t, rl, "k", 1)
}

func testConcurrentBurst(t *testing.T, rl session.RateLimiter, clock *Clock) {
	const n = 20
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		allowed int
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, _, err := rl.Allow(context.Background(), "shared")
			if err != nil {
				t.Errorf("Allow: %v", err)
				return
			}
			if ok {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if allowed != 5 {
		t.Fatalf("%d concurrent calls with a burst of 5: got %d allowed; want 5", n, allowed)
	}
}
