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

// The contract's audit, eviction and ping cases.

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
