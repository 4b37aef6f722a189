package capture

import (
	"context"
	"time"
)

// DefaultAnalysisFPS is how many frames per second of one peer are analysed
// by default.
const DefaultAnalysisFPS = 15

// Scheduler bounds the analysis work: at most FPS analyses per second for
// each peer and at most MaxConcurrent analyses at once across all peers
// sharing the Scheduler. Frames that arrive while a peer waits are not
// queued: the peer's mailbox keeps only the newest one.
type Scheduler struct {
	sem chan struct{}
	fps float64
}

// NewScheduler returns a Scheduler that runs at most maxConcurrent analyses
// at once (at least 1) and at most fpsPerPeer analyses per second per peer
// (0 or less: no rate limit).
func NewScheduler(maxConcurrent int, fpsPerPeer float64) *Scheduler {
	if maxConcurrent < 1 {
		maxConcurrent = 1
	}
	return &Scheduler{sem: make(chan struct{}, maxConcurrent), fps: fpsPerPeer}
}

// MaxConcurrent is the size of the global semaphore.
func (s *Scheduler) MaxConcurrent() int { return cap(s.sem) }

// FPS is the per-peer analysis rate limit; 0 means none.
func (s *Scheduler) FPS() float64 {
	if s.fps <= 0 {
		return 0
	}
	return s.fps
}

// Running reports how many analyses hold the semaphore now.
func (s *Scheduler) Running() int { return len(s.sem) }

func (s *Scheduler) acquire(ctx context.Context) error {
	select {
	case s.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Scheduler) release() { <-s.sem }

// interval is the least time between two analyses of one peer.
func (s *Scheduler) interval() time.Duration {
	if s.fps <= 0 {
		return 0
	}
	return time.Duration(float64(time.Second) / s.fps)
}

// pacer is one peer's rate limit. It is driven by an injected clock, so its
// arithmetic is tested without waiting.
type pacer struct {
	interval time.Duration
	next     time.Time // earliest start of the next analysis
}

// delay is how long to wait at now before the next analysis may start.
func (p *pacer) delay(now time.Time) time.Duration {
	if p.interval <= 0 || p.next.IsZero() || !now.Before(p.next) {
		return 0
	}
	return p.next.Sub(now)
}

// started records an analysis starting at now. The next slot counts from
// the previous slot, not from now, so that a frame arriving a little late
// does not push every later slot back (the long-run rate stays FPS), but
// never from further back than one interval, so that a pause does not
// allow a burst.
func (p *pacer) started(now time.Time) {
	if p.interval <= 0 {
		return
	}
	next := p.next.Add(p.interval)
	if p.next.IsZero() || next.Before(now) {
		next = now.Add(p.interval)
	}
	if min := now.Add(p.interval / 2); next.Before(min) {
		next = min
	}
	p.next = next
}

// sleep waits for d or until ctx ends, reusing t.
func sleep(ctx context.Context, t *time.Timer, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t.Reset(d)
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		t.Stop()
		return ctx.Err()
	}
}
