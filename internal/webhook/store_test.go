package webhook_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/session/memstore"
	"github.com/livegate/livegate/internal/session/sessiontest"
	"github.com/livegate/livegate/internal/webhook"
	"github.com/livegate/livegate/internal/webhook/memqueue"
)

// flakyQueue is a memqueue whose Add or Wake fail on demand.
type flakyQueue struct {
	*memqueue.Queue
	failAdd, failWake bool
}

var _ webhook.Queue = (*flakyQueue)(nil)

var errDown = errors.New("queue down")

func (q *flakyQueue) Add(ctx context.Context, sid string, due time.Time) error {
	if q.failAdd {
		return errDown
	}
	return q.Queue.Add(ctx, sid, due)
}

func (q *flakyQueue) Wake(ctx context.Context, sid string, due time.Time) error {
	if q.failWake {
		return errDown
	}
	return q.Queue.Wake(ctx, sid, due)
}

// TestNotifyStore: a session whose job cannot be queued is not created (it
// would never be announced); a lost wake delays the delivery to the
// session's expiry, and loses nothing.
func TestNotifyStore(t *testing.T) {
	ctx := context.Background()
	clock := sessiontest.NewClock(sessiontest.Start)
	q := &flakyQueue{Queue: memqueue.New(), failAdd: true}
	inner := memstore.New(memstore.WithClock(clock.Now))
	st := webhook.Notify(inner, q, clock.Now, nil)
	s, _ := session.New(session.Params{Kind: session.KindActive, Owner: owner, SuccessURL: "https://a.example/",
		WebhookURL: "https://h.example/", ExpiresIn: 10 * time.Minute}, clock.Now())
	var se *session.Error
	if err := st.Create(ctx, s); !errors.As(err, &se) || se.Code != session.EUnavailable || !errors.Is(err, errDown) {
		t.Fatalf("create with the queue down: got %v; want EUnavailable wrapping the cause", err)
	}
	if _, err := inner.Get(ctx, s.ID); !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("the session was stored without its job: %v", err)
	}

	q.failAdd, q.failWake = false, true
	rcv := newReceiver(t, clock)
	d := newDispatcher(t, q, st, clock, loopbackGuard(t), nil)
	s = newSession(t, st, clock, rcv.URL)
	if _, err := st.Update(ctx, s.ID, func(s *session.Session) error { return s.Cancel(clock.Now()) }); err != nil {
		t.Fatalf("cancel with the wake failing: %v", err)
	}
	process(t, d)
	if n := len(rcv.requests()); n != 0 {
		t.Fatalf("delivered %d before the expiry although the wake failed", n)
	}
	clock.Advance(10 * time.Minute)
	process(t, d)
	got := rcv.requests()
	if len(got) != 1 || got[0].event != webhook.EventCanceled {
		t.Fatalf("at the expiry: got %d requests (%v); want one session.canceled", len(got), got)
	}

	// A change that does not end the session wakes nothing.
	s2 := newSession(t, st, clock, rcv.URL)
	q.failWake = false
	if _, err := st.Update(ctx, s2.ID, func(s *session.Session) error { s.AttemptsUsed++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n := process(t, d); n != 0 {
		t.Errorf("an update that ended nothing made %d jobs due", n)
	}
}
