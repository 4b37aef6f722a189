package live

import (
	"context"

	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/liveness"
	"github.com/livegate/livegate/internal/session"
)

// The Service's store I/O. Every call gets its own deadline (StoreTimeout)
// from the context it is given: the HTTP request's for Offer and Hangup,
// the Service's own (s.ctx) for the control goroutines, the grace timers
// and the hand-backs. s.ctx ends when a Shutdown runs out of time, so a
// store that hangs (Redis unreachable) can neither hold a connection's
// control goroutine for long nor keep the process from stopping.

// storeContext is ctx with the deadline of one store call.
func (s *Service) storeContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.cfg.StoreTimeout)
}

// get is Store.Get under a deadline.
func (s *Service) get(ctx context.Context, sid string) (*session.Session, error) {
	ctx, cancel := s.storeContext(ctx)
	defer cancel()
	return s.cfg.Store.Get(ctx, sid)
}

// update is Store.Update under a deadline.
func (s *Service) update(ctx context.Context, sid string, fn func(*session.Session) error) (*session.Session, error) {
	ctx, cancel := s.storeContext(ctx)
	defer cancel()
	return s.cfg.Store.Update(ctx, sid, fn)
}

// handBack refunds attempt n of sid, which the shutdown cut short.
func (s *Service) handBack(ctx context.Context, sid string, n int) {
	_, err := s.update(ctx, sid, func(x *session.Session) error { return x.RefundAttempt(s.cfg.Now()) })
	if err != nil {
		s.log.WarnContext(ctx, "live: hand back the attempt", "sid", sid, "attempt", n, "err", err)
		return
	}
	s.m.attempts.WithLabelValues(outcomeHandedBack).Inc()
	s.audit(ctx, sid, session.AuditEntry{Attempt: n, Event: "attempt_ended", Outcome: outcomeHandedBack})
}

// finish writes the session's result: the only place that calls
// Session.Finish. The result is a success only when every gesture matched
// and the fused liveness evidence passes the pass mark.
func (s *Service) finish(ctx context.Context, sid string, r gesture.Result, ev liveness.Evidence, verify *session.VerifyResult) (*session.Session, error) {
	res := session.Result{
		Status:          "failed",
		GestureStatus:   r.Status,
		DetectedGesture: r.Detected,
		Gestures:        r.Outcomes(),
		Evidence:        r.Evidence,
		Verify:          verify,
	}
	v, detail := s.verdict(ev)
	if r.Status == session.GestureMatch && v.Pass {
		res.Status = "success"
	}
	res.LivenessScore, res.AttackType, res.Liveness = &v.Score, v.AttackType, detail
	now := s.cfg.Now()
	sess, err := s.update(ctx, sid, func(x *session.Session) error {
		if x.Kind == session.KindPassive {
			sp := passiveSpoof(r.Status, v.Score)
			res.SpoofPercentage = &sp
		}
		return x.Finish(res, now)
	})
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "live: session finished", "sid", sid, "status", res.Status, "gesture_status", res.GestureStatus,
		"liveness_score", v.Score, "decisive", v.Decisive)
	return sess, nil
}

// audit appends e to sid's audit trail; a failure is logged, not
// returned: the trail must not stop the session.
func (s *Service) audit(ctx context.Context, sid string, e session.AuditEntry) {
	if e.Time.IsZero() {
		e.Time = s.cfg.Now()
	}
	sctx, cancel := s.storeContext(ctx)
	defer cancel()
	if err := s.cfg.Store.AppendAudit(sctx, sid, e); err != nil {
		s.log.WarnContext(ctx, "live: append audit entry", "sid", sid, "event", e.Event, "err", err)
	}
}
