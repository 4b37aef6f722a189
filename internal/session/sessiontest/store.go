package sessiontest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
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
		{"AuditChainConcurrent", testAuditChainConcurrent},
		{"AuditChainTamper", testAuditTamper},
		{"AuditReservedEvent", testAuditReserved},
		{"AuditInvalidUTF8", testAuditInvalidUTF8},
		{"EvictedAfterRetention", testEvictPending},
		{"EndedKeptRetentionAfterEnd", testEvictEnded},
		{"Ping", testPing},
		{"BiometricRetention", testBiometricRetention},
		{"BiometricRetentionZero", testBiometricRetentionZero},
		{"BiometricDeletedBeforeRetention", testBiometricDeletedBeforeRetention},
		{"ImagesRoundTrip", testImagesRoundTrip},
		{"ImagesRetention", testImagesRetention},
		{"ImagesDelete", testImagesDelete},
		{"ImagesRefused", testImagesRefused},
		{"ImagesGoWithSession", testImagesGoWithSession},
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
		// The chain fields are the store's; chainIntact checks them.
		e.Seq, e.Prev, e.Hash = 0, "", ""
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
	score, attack, model := 93.5, "presentation", 97.25
	reaction, rtt := int64(480), int64(0)
	return session.Result{
		Status:          "success",
		GestureStatus:   session.GestureMatch,
		DetectedGesture: session.HeadOpenMouth,
		Gestures: []session.GestureOutcome{
			{Gesture: session.HeadLeft, Status: session.GestureNotMatch, At: clock.Now().Add(-3 * time.Second), Failure: "early"},
			{
				Gesture: session.HeadLeft, Status: session.GestureMatch, At: clock.Now().Add(-2 * time.Second),
				InstructedAt: clock.Now().Add(-3 * time.Second), OnsetAt: clock.Now().Add(-2500 * time.Millisecond),
				HeldAt: clock.Now().Add(-2200 * time.Millisecond), MatchedAt: clock.Now().Add(-2 * time.Second),
				ReactionMS: &reaction, RTTMS: &rtt,
			},
			{Gesture: session.HeadOpenMouth, Status: session.GestureMatch, At: clock.Now().Add(-time.Second)},
		},
		LivenessScore: &score,
		AttackType:    &attack,
		Liveness: &session.LivenessDetail{PassMark: 50, Decisive: "parallax", Signals: []session.LivenessSignal{
			{Name: "model", Score: &model, Reason: "median real-probability 0.97 of 4 frames"},
			{Name: "loop", Reason: "none"},
		}},
		// The evidence round-trips to the last sample (issue 13).
		Evidence: []session.GestureEvidence{{
			Gesture: session.HeadLeft, Status: session.GestureMatch, Measure: "yaw", Threshold: 18, Release: 10,
			Baseline: session.EvidenceBaseline{Yaw: 0.4, Pitch: -6.5, EyeLeft: 0.2, EyeRight: 0.21, Mouth: 0.17},
			OnsetMS:  &reaction, HeldMS: &reaction, MatchedMS: &reaction, EndMS: 1519, Held: [][2]int64{{1233, 1519}},
			Turn:   &session.TurnEvidence{Planar: 0.124, PlanarMin: 0.008, Parallax: 0.28, ParallaxMin: 0.086},
			Screen: &session.ScreenEvidence{BaselineLineRatio: 1.4, HeldLineRatio: 1.95, Limit: 2.2},
			Samples: session.EvidenceSamples{T: []int64{-100, 0, 100}, Yaw: []float32{0.2, 10.903, 28.534}, Pitch: []float32{-1, 4.844, 2.301},
				Eye: []float32{1, 0.874, 1.265}, Mouth: []float32{0, 0.018, -0.006}, Measure: []float32{0.2, 10.903, 28.534}},
		}},
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
	*u.Result.Liveness.Signals[0].Score = 1
	u.Result.Liveness.Signals[1].Reason = "changed"
	u.Result.Gestures[0].Status = session.GestureNoFace
	kept.Status = session.StatusPending
	kept.Result.Status = "failed"
	sameSession(t, "Get after mutating Update's results", get(t, st, want.ID), want)

	// Nor changing the audit trail Audit returned.
	e := session.AuditEntry{Time: clock.Now(), Attempt: 1, Event: "attempt", Outcome: "MATCH", Gesture: session.HeadUp, ClientIP: "192.0.2.1", UserAgent: "ua"}
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
