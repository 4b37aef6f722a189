package sessiontest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/session"
)

// NewStoreFunc builds a fresh, empty store for one test. The store must read
// the time from now and keep sessions for session.DefaultRetention; the
// function should register its own cleanup with t.Cleanup.
type NewStoreFunc func(t *testing.T, now func() time.Time) session.Store

// TestStore runs the session.Store contract against the stores newStore
// builds. Every subtest gets its own store and its own Clock starting at
// Start.
func TestStore(t *testing.T, newStore NewStoreFunc) {
	tests := []struct {
		name string
		fn   func(t *testing.T, st session.Store, clock *Clock)
	}{
		{"CreateGetRoundTrip", testCreateGet},
		{"FinishedRoundTrip", testFinishedRoundTrip},
		{"CreateDuplicate", testCreateDuplicate},
		{"CreateNoID", testCreateNoID},
		{"NotFound", testNotFound},
		{"CopiesNotShared", testCopies},
		{"UpdateErrorStoresNothing", testUpdateError},
		{"UpdateReturnsStored", testUpdateReturnsStored},
		{"ConcurrentUpdatesNoneLost", testConcurrentUpdates},
		{"RacingFinishOneWinner", testRacingFinish},
		{"FinalStaysFinal", testFinalStaysFinal},
		{"ExpiryOnRead", testExpiryOnRead},
		{"ClaimByAnotherBrowser", testClaim},
		{"AttemptsRunOut", testAttemptsRunOut},
		{"AuditOrder", testAuditOrder},
		{"AuditCap", testAuditCap},
		{"EvictedAfterRetention", testEvictPending},
		{"EndedKeptRetentionAfterEnd", testEvictEnded},
		{"Ping", testPing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := NewClock(Start)
			st := newStore(t, clock.Now)
			tt.fn(t, st, clock)
		})
	}
}

// NewSession returns a valid PENDING active session created at now with
// every optional field set, so that a round trip through a store exercises
// them all. It expires an hour after now and allows three attempts.
func NewSession(tb testing.TB, now time.Time) *session.Session {
	tb.Helper()
	s, err := session.New(session.Params{
		Kind:                session.KindActive,
		Owner:               "key-1",
		SuccessURL:          "https://shop.example/done?order=42",
		CancelURL:           "https://shop.example/cancel",
		Gestures:            []string{"HEAD_LEFT", "HEAD_00", "HEAD_OPEN_MOUTH"},
		ExpiresIn:           time.Hour,
		MaxAttempts:         3,
		DeviceCorrelationID: "device-7",
		Locale:              "id",
		WebhookURL:          "https://shop.example/hook",
	}, now)
	if err != nil {
		tb.Fatalf("session.New: %v", err)
	}
	return s
}

// Normalize returns a copy of s that compares equal with reflect.DeepEqual
// to any faithful round trip of s: times in UTC without monotonic readings,
// empty slices as nil.
func Normalize(s *session.Session) *session.Session {
	if s == nil {
		return nil
	}
	c := s.Clone()
	for _, p := range []*time.Time{&c.CreatedAt, &c.ExpiresAt, &c.EndedAt, &c.ClaimedAt} {
		*p = normTime(*p)
	}
	if len(c.Gestures) == 0 {
		c.Gestures = nil
	}
	if c.Result != nil {
		if len(c.Result.Gestures) == 0 {
			c.Result.Gestures = nil
		}
		for i := range c.Result.Gestures {
			c.Result.Gestures[i].At = normTime(c.Result.Gestures[i].At)
		}
	}
	return c
}

func normTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Round(0)
}

func normAudit(es []session.AuditEntry) []session.AuditEntry {
	out := make([]session.AuditEntry, len(es))
	for i, e := range es {
		e.Time = normTime(e.Time)
		out[i] = e
	}
	return out
}

// sameSession fails t when got and want differ after normalising.
func sameSession(t *testing.T, what string, got, want *session.Session) {
	t.Helper()
	g, w := Normalize(got), Normalize(want)
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("%s:\ngot  %+v\nwant %+v", what, describe(g), describe(w))
	}
}

// describe prints a session with its result dereferenced, for messages.
func describe(s *session.Session) string {
	if s == nil {
		return "<nil>"
	}
	c := *s
	c.Result = nil
	if s.Result == nil {
		return fmt.Sprintf("%+v", c)
	}
	return fmt.Sprintf("%+v result=%+v", c, *s.Result)
}

func create(t *testing.T, st session.Store, s *session.Session) {
	t.Helper()
	if err := st.Create(context.Background(), s); err != nil {
		t.Fatalf("Create(%s): %v", s.ID, err)
	}
}

func get(t *testing.T, st session.Store, id string) *session.Session {
	t.Helper()
	s, err := st.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("Get(%s): %v", id, err)
	}
	return s
}

func update(t *testing.T, st session.Store, id string, fn func(*session.Session) error) *session.Session {
	t.Helper()
	s, err := st.Update(context.Background(), id, fn)
	if err != nil {
		t.Fatalf("Update(%s): %v", id, err)
	}
	return s
}

func success(clock *Clock) session.Result {
	score, attack := 93.5, "presentation"
	return session.Result{
		Status:          "success",
		GestureStatus:   session.GestureMatch,
		DetectedGesture: session.HeadOpenMouth,
		Gestures: []session.GestureOutcome{
			{Gesture: session.HeadLeft, Status: session.GestureMatch, At: clock.Now().Add(-2 * time.Second)},
			{Gesture: session.HeadOpenMouth, Status: session.GestureMatch, At: clock.Now().Add(-time.Second)},
		},
		LivenessScore: &score,
		AttackType:    &attack,
	}
}

func testCreateGet(t *testing.T, st session.Store, clock *Clock) {
	want := NewSession(t, clock.Now())
	create(t, st, want)
	sameSession(t, "Get after Create", get(t, st, want.ID), want)
}

func testFinishedRoundTrip(t *testing.T, st session.Store, clock *Clock) {
	s := NewSession(t, clock.Now())
	create(t, st, s)
	clock.Advance(time.Minute)
	want := s.Clone()
	if err := want.Claim("browser-a", clock.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := want.StartAttempt(clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := want.Finish(success(clock), clock.Now()); err != nil {
		t.Fatal(err)
	}
	got := update(t, st, s.ID, func(s *session.Session) error {
		if err := s.Claim("browser-a", clock.Now()); err != nil {
			return err
		}
		if _, err := s.StartAttempt(clock.Now()); err != nil {
			return err
		}
		return s.Finish(success(clock), clock.Now())
	})
	sameSession(t, "Update(Finish) result", got, want)
	sameSession(t, "Get after Finish", get(t, st, s.ID), want)
}

func testCreateDuplicate(t *testing.T, st session.Store, clock *Clock) {
	s := NewSession(t, clock.Now())
	create(t, st, s)
	dup := NewSession(t, clock.Now())
	dup.ID = s.ID
	dup.SuccessURL = "https://attacker.example/"
	if err := st.Create(context.Background(), dup); !errors.Is(err, session.ErrExists) {
		t.Fatalf("Create with a taken id: got %v; want ErrExists", err)
	}
	sameSession(t, "Get after a refused Create", get(t, st, s.ID), s)
}

func testCreateNoID(t *testing.T, st session.Store, clock *Clock) {
	s := NewSession(t, clock.Now())
	s.ID = ""
	if err := st.Create(context.Background(), s); err == nil {
		t.Fatalf("Create with an empty id: got nil; want an error")
	}
}

func testNotFound(t *testing.T, st session.Store, clock *Clock) {
	ctx := context.Background()
	create(t, st, NewSession(t, clock.Now())) // another session must not matter
	id := session.NewID()
	if _, err := st.Get(ctx, id); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("Get: got %v; want ErrNotFound", err)
	}
	called := false
	if _, err := st.Update(ctx, id, func(*session.Session) error { called = true; return nil }); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("Update: got %v; want ErrNotFound", err)
	}
	if called {
		t.Errorf("Update of an unknown id called fn; want it not called")
	}
	if err := st.AppendAudit(ctx, id, session.AuditEntry{Time: clock.Now(), Event: "x"}); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("AppendAudit: got %v; want ErrNotFound", err)
	}
	if _, err := st.Audit(ctx, id); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("Audit: got %v; want ErrNotFound", err)
	}
	if _, err := st.Get(ctx, id); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("Get after AppendAudit of an unknown id: got %v; want ErrNotFound", err)
	}
}

func testCopies(t *testing.T, st session.Store, clock *Clock) {
	ctx := context.Background()
	s := NewSession(t, clock.Now())
	want := s.Clone()
	create(t, st, s)

	// Changing what was passed to Create changes nothing stored.
	s.SuccessURL = "https://changed.example/"
	s.Gestures[0] = session.HeadDown

	// Nor does changing what Get returned.
	g := get(t, st, want.ID)
	g.Status = session.StatusCanceled
	g.Gestures[1] = session.HeadDown
	sameSession(t, "Get after mutating inputs and outputs", get(t, st, want.ID), want)

	// Nor what Update returned, nor the copy fn kept a pointer to.
	var kept *session.Session
	u := update(t, st, want.ID, func(s *session.Session) error {
		kept = s
		return s.Finish(success(clock), clock.Now())
	})
	want = u.Clone()
	u.Result.GestureStatus = session.GestureNotMatch
	*u.Result.LivenessScore = 1
	u.Result.Gestures[0].Status = session.GestureNoFace
	kept.Status = session.StatusPending
	kept.Result.Status = "failed"
	sameSession(t, "Get after mutating Update's results", get(t, st, want.ID), want)

	// Nor changing the audit trail Audit returned.
	e := session.AuditEntry{Time: clock.Now(), Attempt: 1, Event: "attempt", Outcome: "MATCH", ClientIP: "192.0.2.1", UserAgent: "ua"}
	if err := st.AppendAudit(ctx, want.ID, e); err != nil {
		t.Fatal(err)
	}
	a, err := st.Audit(ctx, want.ID)
	if err != nil {
		t.Fatal(err)
	}
	a[0].Event = "changed"
	a, err = st.Audit(ctx, want.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := normAudit(a); !reflect.DeepEqual(got, normAudit([]session.AuditEntry{e})) {
		t.Fatalf("Audit after mutating its result: got %+v; want %+v", got, e)
	}
}

func testUpdateError(t *testing.T, st session.Store, clock *Clock) {
	s := NewSession(t, clock.Now())
	create(t, st, s)
	errBoom := errors.New("boom")
	got, err := st.Update(context.Background(), s.ID, func(s *session.Session) error {
		s.AttemptsUsed = 3
		s.Status = session.StatusCanceled
		s.SuccessURL = "https://changed.example/"
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update: got error %v; want fn's error", err)
	}
	if got != nil {
		t.Errorf("Update: got session %v with an error; want nil", got)
	}
	sameSession(t, "Get after a failed Update", get(t, st, s.ID), s)

	// A transition's own sentinel comes back as itself.
	update(t, st, s.ID, func(s *session.Session) error { return s.Cancel(clock.Now()) })
	if _, err := st.Update(context.Background(), s.ID, func(s *session.Session) error { return s.Cancel(clock.Now()) }); !errors.Is(err, session.ErrFinal) {
		t.Fatalf("second Cancel: got %v; want ErrFinal", err)
	}
}

func testUpdateReturnsStored(t *testing.T, st session.Store, clock *Clock) {
	s := NewSession(t, clock.Now())
	create(t, st, s)
	u := update(t, st, s.ID, func(s *session.Session) error {
		return s.Claim("browser-a", clock.Now())
	})
	if u.ClaimedBy != "browser-a" {
		t.Fatalf("Update result ClaimedBy: got %q; want %q", u.ClaimedBy, "browser-a")
	}
	sameSession(t, "Get after Update", get(t, st, s.ID), u)
}

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

func auditEntry(clock *Clock, i int) session.AuditEntry {
	return session.AuditEntry{
		Time:      clock.Now().Add(time.Duration(i) * time.Millisecond),
		Attempt:   i,
		Event:     "attempt",
		Outcome:   string(session.GestureNotMatch),
		ClientIP:  "2001:db8::1",
		UserAgent: fmt.Sprintf("test/%d", i),
	}
}

func testAuditOrder(t *testing.T, st session.Store, clock *Clock) {
	ctx := context.Background()
	s := NewSession(t, clock.Now())
	create(t, st, s)
	a, err := st.Audit(ctx, s.ID)
	if err != nil || len(a) != 0 {
		t.Fatalf("Audit of a new session: got %v, %v; want no entries", a, err)
	}
	var want []session.AuditEntry
	for i := range 5 {
		e := auditEntry(clock, i)
		want = append(want, e)
		if err := st.AppendAudit(ctx, s.ID, e); err != nil {
			t.Fatalf("AppendAudit %d: %v", i, err)
		}
	}
	a, err = st.Audit(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := normAudit(a); !reflect.DeepEqual(got, normAudit(want)) {
		t.Fatalf("Audit:\ngot  %+v\nwant %+v", got, want)
	}
	// The audit trail of a session survives its end and is kept with it.
	update(t, st, s.ID, func(s *session.Session) error { return s.Cancel(clock.Now()) })
	e := session.AuditEntry{Time: clock.Now(), Event: "canceled"}
	if err := st.AppendAudit(ctx, s.ID, e); err != nil {
		t.Fatalf("AppendAudit after Cancel: %v", err)
	}
	a, err = st.Audit(ctx, s.ID)
	if err != nil || len(a) != 6 || a[5].Event != "canceled" {
		t.Fatalf("Audit after Cancel: got %d entries (%v), last %+v; want 6, the last canceled", len(a), err, a[len(a)-1])
	}
}

func testAuditCap(t *testing.T, st session.Store, clock *Clock) {
	ctx := context.Background()
	s := NewSession(t, clock.Now())
	create(t, st, s)
	const extra = 7
	for i := range session.MaxAuditEntries + extra {
		if err := st.AppendAudit(ctx, s.ID, auditEntry(clock, i)); err != nil {
			t.Fatalf("AppendAudit %d: %v", i, err)
		}
	}
	a, err := st.Audit(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != session.MaxAuditEntries {
		t.Fatalf("Audit length: got %d; want %d", len(a), session.MaxAuditEntries)
	}
	for i, e := range a {
		if want := i + extra; e.Attempt != want {
			t.Fatalf("Audit[%d]: got entry %d; want %d (the oldest dropped, order kept)", i, e.Attempt, want)
		}
	}
}

// evicted fails t unless every read of id says ErrNotFound.
func evicted(t *testing.T, st session.Store, id string, clock *Clock) {
	t.Helper()
	ctx := context.Background()
	if _, err := st.Get(ctx, id); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("Get after retention: got %v; want ErrNotFound", err)
	}
	if _, err := st.Audit(ctx, id); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("Audit after retention: got %v; want ErrNotFound", err)
	}
	if err := st.AppendAudit(ctx, id, session.AuditEntry{Time: clock.Now(), Event: "late"}); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("AppendAudit after retention: got %v; want ErrNotFound", err)
	}
	if _, err := st.Update(ctx, id, func(*session.Session) error { return nil }); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("Update after retention: got %v; want ErrNotFound", err)
	}
}

func testEvictPending(t *testing.T, st session.Store, clock *Clock) {
	s := NewSession(t, clock.Now())
	create(t, st, s)
	if err := st.AppendAudit(context.Background(), s.ID, auditEntry(clock, 0)); err != nil {
		t.Fatal(err)
	}
	keep := s.ExpiresAt.Add(session.DefaultRetention)
	clock.Set(keep.Add(-time.Second))
	if got := get(t, st, s.ID); got.Status != session.StatusExpired {
		t.Fatalf("Get just before the end of retention: status got %s; want EXPIRED", got.Status)
	}
	clock.Set(keep)
	evicted(t, st, s.ID, clock)
}

func testEvictEnded(t *testing.T, st session.Store, clock *Clock) {
	s := NewSession(t, clock.Now())
	create(t, st, s)
	clock.Advance(10 * time.Minute)
	ended := clock.Now()
	update(t, st, s.ID, func(s *session.Session) error { return s.Finish(success(clock), clock.Now()) })

	// Kept for the retention after its end, not after its (later) expiry.
	keep := ended.Add(session.DefaultRetention)
	clock.Set(keep.Add(-time.Second))
	if got := get(t, st, s.ID); got.Status != session.StatusFinished || got.Result == nil {
		t.Fatalf("Get just before the end of retention: got %s with result %v; want FINISHED with a result", got.Status, got.Result)
	}
	clock.Set(keep)
	evicted(t, st, s.ID, clock)
}

func testPing(t *testing.T, st session.Store, clock *Clock) {
	if err := st.Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}
