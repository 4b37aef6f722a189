package sessiontest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/session"
)

// NewLockoutFunc builds a fresh lockout with the given policy for one test,
// reading the time from now; no key has failed yet.
type NewLockoutFunc func(t *testing.T, policy session.LockoutPolicy, now func() time.Time) session.Lockout

// lockoutPolicy is AWS's advice, which the server's defaults follow: five
// failures in three minutes lock for half an hour.
var lockoutPolicy = session.LockoutPolicy{Failures: 5, Window: 3 * time.Minute, Lock: 30 * time.Minute}

// TestLockout runs the session.Lockout contract against the lockouts
// newLockout builds.
func TestLockout(t *testing.T, newLockout NewLockoutFunc) {
	tests := []struct {
		name string
		fn   func(t *testing.T, l session.Lockout, clock *Clock)
	}{
		{"LocksAtTheNthFailure", testLockAtN},
		{"LockEnds", testLockEnds},
		{"FailuresWhileLockedDoNotExtend", testNoExtend},
		{"WindowForgetsOldFailures", testWindow},
		{"KeysIndependent", testLockKeys},
		{"ConcurrentFailuresAllCount", testLockConcurrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := NewClock(Start)
			tt.fn(t, newLockout(t, lockoutPolicy, clock.Now), clock)
		})
	}
}

func fail(t *testing.T, l session.Lockout, key string) time.Duration {
	t.Helper()
	d, err := l.Fail(context.Background(), key)
	if err != nil {
		t.Fatalf("Fail(%q): %v", key, err)
	}
	return d
}

func locked(t *testing.T, l session.Lockout, key string) time.Duration {
	t.Helper()
	d, err := l.Locked(context.Background(), key)
	if err != nil {
		t.Fatalf("Locked(%q): %v", key, err)
	}
	return d
}

func testLockAtN(t *testing.T, l session.Lockout, clock *Clock) {
	for i := range lockoutPolicy.Failures - 1 {
		if d := fail(t, l, "k"); d != 0 {
			t.Fatalf("failure %d: locked for %v; want not locked", i+1, d)
		}
		if d := locked(t, l, "k"); d != 0 {
			t.Fatalf("after failure %d: Locked = %v; want 0", i+1, d)
		}
		clock.Advance(10 * time.Second)
	}
	if d := fail(t, l, "k"); d != lockoutPolicy.Lock {
		t.Fatalf("failure %d: locked for %v; want %v", lockoutPolicy.Failures, d, lockoutPolicy.Lock)
	}
	clock.Advance(time.Minute)
	if d, want := locked(t, l, "k"), lockoutPolicy.Lock-time.Minute; d != want {
		t.Fatalf("a minute later: Locked = %v; want %v", d, want)
	}
}

func lockNow(t *testing.T, l session.Lockout, key string) {
	t.Helper()
	for range lockoutPolicy.Failures {
		fail(t, l, key)
	}
	if d := locked(t, l, key); d != lockoutPolicy.Lock {
		t.Fatalf("after %d failures: Locked = %v; want %v", lockoutPolicy.Failures, d, lockoutPolicy.Lock)
	}
}

func testLockEnds(t *testing.T, l session.Lockout, clock *Clock) {
	lockNow(t, l, "k")
	clock.Advance(lockoutPolicy.Lock - time.Microsecond)
	if d := locked(t, l, "k"); d != time.Microsecond {
		t.Fatalf("1 µs before the end: Locked = %v; want 1µs", d)
	}
	clock.Advance(time.Microsecond)
	if d := locked(t, l, "k"); d != 0 {
		t.Fatalf("at the end: Locked = %v; want 0", d)
	}
	// The count starts afresh: one failure does not lock again.
	if d := fail(t, l, "k"); d != 0 {
		t.Fatalf("first failure after the lock: locked for %v; want 0", d)
	}
}

func testNoExtend(t *testing.T, l session.Lockout, clock *Clock) {
	lockNow(t, l, "k")
	clock.Advance(10 * time.Minute)
	for range 20 {
		if d, want := fail(t, l, "k"), lockoutPolicy.Lock-10*time.Minute; d != want {
			t.Fatalf("failure while locked: locked for %v; want %v (unchanged)", d, want)
		}
	}
	clock.Advance(20 * time.Minute)
	if d := locked(t, l, "k"); d != 0 {
		t.Fatalf("after the lock: Locked = %v; want 0", d)
	}
}

func testWindow(t *testing.T, l session.Lockout, clock *Clock) {
	// One failure short of the lock each window: never locked.
	for w := range 3 {
		for range lockoutPolicy.Failures - 1 {
			if d := fail(t, l, "k"); d != 0 {
				t.Fatalf("window %d: locked for %v; want not locked", w, d)
			}
		}
		clock.Advance(lockoutPolicy.Window)
	}
}

func testLockKeys(t *testing.T, l session.Lockout, clock *Clock) {
	lockNow(t, l, "ip:192.0.2.1")
	for _, k := range []string{"ip:192.0.2.2", "device:ip:192.0.2.1", ""} {
		if d := locked(t, l, k); d != 0 {
			t.Fatalf("Locked(%q) = %v; want 0", k, d)
		}
		if d := fail(t, l, k); d != 0 {
			t.Fatalf("Fail(%q): locked for %v; want 0", k, d)
		}
	}
}

func testLockConcurrent(t *testing.T, l session.Lockout, clock *Clock) {
	// Failures-1 concurrent failures on each of 4 keys: none locked; one
	// more each: all locked.
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for k := range 4 {
		for range lockoutPolicy.Failures - 1 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := l.Fail(context.Background(), fmt.Sprint("k", k)); err != nil {
					errs <- err
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for k := range 4 {
		key := fmt.Sprint("k", k)
		if d := locked(t, l, key); d != 0 {
			t.Fatalf("%s after %d failures: Locked = %v; want 0", key, lockoutPolicy.Failures-1, d)
		}
		if d := fail(t, l, key); d != lockoutPolicy.Lock {
			t.Fatalf("%s, failure %d: locked for %v; want %v (a concurrent failure was lost)", key, lockoutPolicy.Failures, d, lockoutPolicy.Lock)
		}
	}
}
