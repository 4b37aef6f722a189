// Package sessiontest is the contract that every session.Store and
// session.RateLimiter must meet, written once and run against each
// implementation (memstore, redisstore) from that implementation's tests:
//
//	func TestStore(t *testing.T) {
//		sessiontest.TestStore(t, func(t *testing.T, now func() time.Time) session.Store {
//			return memstore.New(memstore.WithClock(now))
//		})
//	}
//
// Time is a Clock the suite controls, so expiry, retention and refills are
// tested without sleeping.
package sessiontest

import (
	"sync"
	"time"
)

// Start is the instant every Clock of the suite starts at.
var Start = time.Date(2026, time.March, 1, 12, 0, 0, 0, time.UTC)

// Clock is a fake clock, safe for concurrent use. Its Now is what stores and
// limiters under test get as their clock.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock stopped at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}
