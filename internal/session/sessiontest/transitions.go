package sessiontest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/session"
)

// The contract's transition cases: concurrent updates, racing finishes,
// final states, expiry on read, claims and attempts.

func testConcurrentUpdates(t *testing.T, st session.Store, clock *Clock) {
	s := NewSession(t, clock.Now())
	create(t, st, s)
	const n = 50
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := st.Update(context.Background(), s.ID, func(s *session.Session) error {
				s.AttemptsUsed++
				return nil
			})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Update: %v", err)
		}
	}
	if got := get(t, st, s.ID).AttemptsUsed; got != n {
		t.Fatalf("AttemptsUsed after %d concurrent increments: got %d; want %d", n, got, n)
	}
}

func testRacingFinish(t *testing.T, st session.Store, clock *Clock) {
	s := NewSession(t, clock.Now())
	create(t, st, s)
	const n = 20
	type outcome struct {
		i   int
		err error
	}
	out := make(chan outcome, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := success(clock)
			_, err := st.Update(context.Background(), s.ID, func(s *session.Session) error {
				s.DeviceCorrelationID = fmt.Sprint(i) // marks the winner
				return s.Finish(r, clock.Now())
			})
			out <- outcome{i, err}
		}()
	}
	wg.Wait()
	close(out)
	winners := []int{}
	for o := range out {
		switch {
		case o.err == nil:
			winners = append(winners, o.i)
		case !errors.Is(o.err, session.ErrFinal):
			t.Errorf("Finish %d: got %v; want nil or ErrFinal", o.i, o.err)
		}
	}
	if len(winners) != 1 {
		t.Fatalf("racing Finish: got %d winners %v; want exactly 1", len(winners), winners)
	}
	got := get(t, st, s.ID)
	if got.Status != session.StatusFinished || got.DeviceCorrelationID != fmt.Sprint(winners[0]) {
		t.Fatalf("stored after the race: got status %s written by %s; want FINISHED written by %d",
			got.Status, got.DeviceCorrelationID, winners[0])
	}
}

func testFinalStaysFinal(t *testing.T, st session.Store, clock *Clock) {
	ends := []struct {
		name    string
		end     func(s *session.Session, clock *Clock) error // run through Update; nil end means "let it expire"
		status  session.Status
		wantErr error
	}{
		{"finished", func(s *session.Session, c *Clock) error { return s.Finish(success(c), c.Now()) }, session.StatusFinished, session.ErrFinal},
		{"canceled", func(s *session.Session, c *Clock) error { return s.Cancel(c.Now()) }, session.StatusCanceled, session.ErrFinal},
		{"expired", nil, session.StatusExpired, session.ErrExpired},
	}
	changes := []struct {
		name string
		fn   func(s *session.Session, now time.Time) error
	}{
		{"Claim", func(s *session.Session, now time.Time) error { return s.Claim("browser-b", now) }},
		{"StartAttempt", func(s *session.Session, now time.Time) error { _, err := s.StartAttempt(now); return err }},
		{"Finish", func(s *session.Session, now time.Time) error {
			return s.Finish(session.Result{Status: "failed", GestureStatus: session.GestureNotMatch}, now)
		}},
		{"Cancel", func(s *session.Session, now time.Time) error { return s.Cancel(now) }},
	}
	for _, end := range ends {
		s := NewSession(t, clock.Now())
		create(t, st, s)
		if end.end != nil {
			update(t, st, s.ID, func(s *session.Session) error { return end.end(s, clock) })
		}
		clock.Advance(2 * time.Hour) // past the expiry of every session so far
		want := get(t, st, s.ID)
		if want.Status != end.status {
			t.Fatalf("%s: status got %s; want %s", end.name, want.Status, end.status)
		}
		for _, ch := range changes {
			_, err := st.Update(context.Background(), s.ID, func(s *session.Session) error { return ch.fn(s, clock.Now()) })
			if !errors.Is(err, end.wantErr) {
				t.Errorf("%s then %s: got %v; want %v", end.name, ch.name, err, end.wantErr)
			}
			sameSession(t, end.name+" then "+ch.name, get(t, st, s.ID), want)
		}
	}
}

func testExpiryOnRead(t *testing.T, st session.Store, clock *Clock) {
	s := NewSession(t, clock.Now())
	create(t, st, s)
	clock.Set(s.ExpiresAt.Add(-time.Nanosecond))
	if got := get(t, st, s.ID); got.Status != session.StatusPending {
		t.Fatalf("Get just before expiry: status got %s; want PENDING", got.Status)
	}
	clock.Set(s.ExpiresAt)
	got := get(t, st, s.ID)
	if got.Status != session.StatusExpired || !got.EndedAt.Equal(s.ExpiresAt) {
		t.Fatalf("Get at expiry: got status %s ended %v; want EXPIRED ended %v", got.Status, got.EndedAt, s.ExpiresAt)
	}
	clock.Advance(time.Minute)
	ctx := context.Background()
	if _, err := st.Update(ctx, s.ID, func(s *session.Session) error {
		return s.Finish(session.Result{Status: "success", GestureStatus: session.GestureMatch}, clock.Now())
	}); !errors.Is(err, session.ErrExpired) {
		t.Errorf("Finish after expiry: got %v; want ErrExpired", err)
	}
	if _, err := st.Update(ctx, s.ID, func(s *session.Session) error { return s.Claim("browser-a", clock.Now()) }); !errors.Is(err, session.ErrExpired) {
		t.Errorf("Claim after expiry: got %v; want ErrExpired", err)
	}
	if got := get(t, st, s.ID); got.Status != session.StatusExpired {
		t.Errorf("Get after refused changes: status got %s; want EXPIRED", got.Status)
	}
}

func testClaim(t *testing.T, st session.Store, clock *Clock) {
	s := NewSession(t, clock.Now())
	create(t, st, s)
	claim := func(browser string) error {
		_, err := st.Update(context.Background(), s.ID, func(s *session.Session) error { return s.Claim(browser, clock.Now()) })
		return err
	}
	first := clock.Now()
	tests := []struct {
		browser string
		want    error
	}{
		{"browser-a", nil},
		{"browser-b", session.ErrClaimed},
		{"browser-a", nil}, // the same browser may come back
	}
	for _, tt := range tests {
		if err := claim(tt.browser); !errors.Is(err, tt.want) {
			t.Fatalf("Claim(%s): got %v; want %v", tt.browser, err, tt.want)
		}
		clock.Advance(time.Second)
	}
	got := get(t, st, s.ID)
	if got.ClaimedBy != "browser-a" || !got.ClaimedAt.Equal(first) {
		t.Fatalf("claim: got %q at %v; want %q at %v", got.ClaimedBy, got.ClaimedAt, "browser-a", first)
	}
	// The lease: a renewal is stored, and a claim not renewed for
	// ClaimLease is taken over by another browser, attempts kept.
	renewed := clock.Now()
	if _, err := st.Update(context.Background(), s.ID, func(s *session.Session) error {
		if _, err := s.StartAttempt(clock.Now()); err != nil {
			return err
		}
		return s.RenewClaim("browser-a", renewed)
	}); err != nil {
		t.Fatalf("RenewClaim: %v", err)
	}
	if got := get(t, st, s.ID); !got.ClaimRenewedAt.Equal(renewed) {
		t.Fatalf("ClaimRenewedAt: got %v; want %v", got.ClaimRenewedAt, renewed)
	}
	clock.Advance(session.ClaimLease - time.Second)
	if err := claim("browser-b"); !errors.Is(err, session.ErrClaimed) {
		t.Fatalf("Claim(browser-b) within the renewed lease: got %v; want ErrClaimed", err)
	}
	clock.Advance(time.Second)
	if err := claim("browser-b"); err != nil {
		t.Fatalf("Claim(browser-b) once the lease lapsed: %v", err)
	}
	got = get(t, st, s.ID)
	if got.ClaimedBy != "browser-b" || !got.ClaimedAt.Equal(clock.Now()) || got.AttemptsUsed != 1 {
		t.Fatalf("after the takeover: %q at %v, %d attempts used; want browser-b at %v, 1", got.ClaimedBy, got.ClaimedAt, got.AttemptsUsed, clock.Now())
	}
}

func testAttemptsRunOut(t *testing.T, st session.Store, clock *Clock) {
	s := NewSession(t, clock.Now())
	create(t, st, s)
	for want := 1; want <= s.MaxAttempts+1; want++ {
		var n int
		_, err := st.Update(context.Background(), s.ID, func(s *session.Session) error {
			var err error
			n, err = s.StartAttempt(clock.Now())
			return err
		})
		if want > s.MaxAttempts {
			if !errors.Is(err, session.ErrNoAttemptsLeft) {
				t.Fatalf("attempt %d of %d: got %v; want ErrNoAttemptsLeft", want, s.MaxAttempts, err)
			}
			break
		}
		if err != nil || n != want {
			t.Fatalf("attempt %d: got %d, %v; want %d, nil", want, n, err, want)
		}
	}
	if got := get(t, st, s.ID); got.AttemptsUsed != s.MaxAttempts || got.AttemptsLeft() != 0 {
		t.Fatalf("after running out: got %d used, %d left; want %d used, 0 left", got.AttemptsUsed, got.AttemptsLeft(), s.MaxAttempts)
	}
}
