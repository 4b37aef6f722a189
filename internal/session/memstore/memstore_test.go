package memstore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/session/memstore"
	"github.com/livegate/livegate/internal/session/sessiontest"
)

func TestStore(t *testing.T) {
	sessiontest.TestStore(t, func(t *testing.T, now func() time.Time) session.Store {
		st := memstore.New(memstore.WithClock(now))
		t.Cleanup(func() { st.Close() })
		return st
	})
}

func TestRateLimiter(t *testing.T) {
	sessiontest.TestRateLimiter(t, func(t *testing.T, limit session.RateLimit, now func() time.Time) session.RateLimiter {
		return memstore.NewRateLimiter(limit, memstore.WithClock(now))
	})
}

// TestSweep checks that Sweep forgets sessions past their retention, and
// only those, without anyone reading them.
func TestSweep(t *testing.T) {
	ctx := context.Background()
	clock := sessiontest.NewClock(sessiontest.Start)
	st := memstore.New(memstore.WithClock(clock.Now), memstore.WithRetention(time.Hour), memstore.WithSweepInterval(0))
	defer st.Close()

	ended := sessiontest.NewSession(t, clock.Now()) // expires in an hour, ends now
	pending := sessiontest.NewSession(t, clock.Now())
	for _, s := range []*session.Session{ended, pending} {
		if err := st.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Update(ctx, ended.ID, func(s *session.Session) error { return s.Cancel(clock.Now()) }); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		advance   time.Duration
		wantSwept int
		wantLen   int
	}{
		{59 * time.Minute, 0, 2},
		{time.Minute, 1, 1},      // the canceled one: an hour after its end
		{59 * time.Minute, 0, 1}, // the pending one: an hour after its expiry
		{time.Minute, 1, 0},
	}
	for i, tt := range tests {
		clock.Advance(tt.advance)
		if got := st.Sweep(); got != tt.wantSwept {
			t.Errorf("step %d: Sweep got %d; want %d", i, got, tt.wantSwept)
		}
		if got := st.Len(); got != tt.wantLen {
			t.Errorf("step %d: Len got %d; want %d", i, got, tt.wantLen)
		}
	}
}

// TestCloseStopsSweep checks that Close waits for the sweep goroutine, may be
// called twice, and makes Ping fail.
func TestCloseStopsSweep(t *testing.T) {
	st := memstore.New(memstore.WithSweepInterval(time.Millisecond))
	if err := st.Ping(context.Background()); err != nil {
		t.Fatalf("Ping before Close: %v", err)
	}
	for i := range 2 {
		if err := st.Close(); err != nil {
			t.Fatalf("Close #%d: %v", i+1, err)
		}
	}
	if err := st.Ping(context.Background()); err == nil {
		t.Fatal("Ping after Close: got nil; want an error")
	}
}

func TestCreateValidatesID(t *testing.T) {
	st := memstore.New(memstore.WithSweepInterval(0))
	defer st.Close()
	err := st.Create(context.Background(), &session.Session{})
	if got := session.ErrorCode(err); got != session.EInvalid {
		t.Fatalf("Create without id: got code %q (%v); want %q", got, err, session.EInvalid)
	}
	if errors.Is(err, session.ErrExists) {
		t.Fatalf("Create without id: got ErrExists; want a validation error")
	}
}

// TestRateLimiterBoundedMemory checks that buckets that have refilled are
// dropped, so that a flood of distinct keys cannot grow the map for ever.
func TestRateLimiterBoundedMemory(t *testing.T) {
	ctx := context.Background()
	clock := sessiontest.NewClock(sessiontest.Start)
	rl := memstore.NewRateLimiter(session.RateLimit{PerSecond: 1, Burst: 2}, memstore.WithClock(clock.Now))
	for round := range 10 {
		for i := range 1000 {
			if ok, _, err := rl.Allow(ctx, fmt.Sprintf("r%d-k%d", round, i)); !ok || err != nil {
				t.Fatalf("Allow: got %v, %v; want true, nil", ok, err)
			}
		}
		clock.Advance(2 * time.Second) // every bucket so far is full again
	}
	if got := rl.Len(); got > 2100 {
		t.Fatalf("buckets after 10,000 idle keys: got %d; want at most about 2,000", got)
	}
	// A bucket that is not full is never dropped.
	for range 2 {
		rl.Allow(ctx, "busy")
	}
	for i := range 5000 {
		rl.Allow(ctx, fmt.Sprintf("flood-%d", i))
	}
	if ok, _, _ := rl.Allow(ctx, "busy"); ok {
		t.Fatal(`Allow("busy") after a flood of other keys: got allowed; want denied (its bucket must survive the sweep)`)
	}
}

func TestNewRateLimiterPanicsOnBadLimit(t *testing.T) {
	for _, l := range []session.RateLimit{{PerSecond: 1, Burst: 0}, {PerSecond: 0, Burst: 1}, {PerSecond: -1, Burst: 1}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewRateLimiter(%+v): got no panic; want one", l)
				}
			}()
			memstore.NewRateLimiter(l)
		}()
	}
}

// TestSweepExpiresBiometrics: the sweep drops an embedding past its
// biometric retention with no one reading the session, audits it, and
// keeps the session.
func TestSweepExpiresBiometrics(t *testing.T) {
	ctx := context.Background()
	clock := sessiontest.NewClock(sessiontest.Start)
	st := memstore.New(memstore.WithClock(clock.Now), memstore.WithSweepInterval(0))
	defer st.Close()

	s := sessiontest.NewSession(t, clock.Now())
	s.BiometricRetention = 30 * time.Minute
	s.Reference = &session.Reference{Sealed: []byte{1, 2, 3}, Quality: "low"}
	if err := st.Create(ctx, s); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Update(ctx, s.ID, func(s *session.Session) error { return s.Cancel(clock.Now()) }); err != nil {
		t.Fatal(err)
	}
	clock.Advance(29 * time.Minute)
	st.Sweep()
	if !memstore.HeldBiometrics(st, s.ID) {
		t.Fatal("swept a minute before its retention: the embedding is gone")
	}
	clock.Advance(time.Minute)
	if n := st.Sweep(); n != 0 || st.Len() != 1 {
		t.Errorf("Sweep evicted %d sessions, %d left; want the session kept", n, st.Len())
	}
	if memstore.HeldBiometrics(st, s.ID) {
		t.Fatal("swept at its retention: the store still holds the embedding")
	}
	es, err := st.Audit(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0].Event != session.EventDataExpired || !es[0].Time.Equal(clock.Now()) {
		t.Errorf("audit %+v; want one data_expired entry at %s", es, clock.Now())
	}
}

func TestLockout(t *testing.T) {
	sessiontest.TestLockout(t, func(t *testing.T, p session.LockoutPolicy, now func() time.Time) session.Lockout {
		return memstore.NewLockout(p, memstore.WithClock(now))
	})
}

// TestLockoutBoundedMemory checks that a flood of keys that each failed once
// is forgotten once their window has passed.
func TestLockoutBoundedMemory(t *testing.T) {
	ctx := context.Background()
	clock := sessiontest.NewClock(sessiontest.Start)
	l := memstore.NewLockout(session.LockoutPolicy{Failures: 3, Window: time.Minute, Lock: time.Hour}, memstore.WithClock(clock.Now))
	for round := range 10 {
		for i := range 1000 {
			if _, err := l.Fail(ctx, fmt.Sprintf("r%d-k%d", round, i)); err != nil {
				t.Fatal(err)
			}
		}
		clock.Advance(time.Minute)
	}
	if got := l.Len(); got > 2100 {
		t.Fatalf("keys after 10,000 stale failures: got %d; want at most about 2,000", got)
	}
}

func BenchmarkLockout(b *testing.B) {
	l := memstore.NewLockout(session.LockoutPolicy{Failures: 5, Window: 3 * time.Minute, Lock: 30 * time.Minute})
	ctx := context.Background()
	b.Run("Locked", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			_, _ = l.Locked(ctx, fmt.Sprint("ip:192.0.2.", i%256))
		}
	})
	b.Run("Fail", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			_, _ = l.Fail(ctx, fmt.Sprint("ip:198.51.100.", i%256))
		}
	})
}
