package live

import (
	"context"
	"errors"
	"fmt"
	"time"

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
// and the fused liveness evidence passes the pass mark. When the store
// fails (an outage, a timeout: not a refusal such as ErrFinal) the write
// is not dropped: it goes on in the background (saveLater) and finish
// returns a *savingError, which tells when the write is done.
func (s *Service) finish(ctx context.Context, sid string, r gesture.Result, ev liveness.Evidence, verify *session.VerifyResult, expires time.Time) (*session.Session, error) {
	res := session.Result{
		Status:          "failed",
		GestureStatus:   r.Status,
		DetectedGesture: r.Detected,
		Gestures:        r.Outcomes(),
		Verify:          verify,
	}
	v, detail := s.verdict(ev)
	if r.Status == session.GestureMatch && v.Pass {
		res.Status = "success"
	}
	res.LivenessScore, res.AttackType, res.Liveness = &v.Score, v.AttackType, detail
	now := s.cfg.Now()
	write := func(ctx context.Context) (*session.Session, error) {
		return s.update(ctx, sid, func(x *session.Session) error {
			if x.Kind == session.KindPassive {
				sp := passiveSpoof(r.Status, v.Score)
				res.SpoofPercentage = &sp
			}
			// The time the attempt ended, also when the write is
			// retried: the result was reached then.
			return x.Finish(res, now)
		})
	}
	sess, err := write(ctx)
	if err != nil && retryable(err) && expires.After(now) {
		if done := s.saveLater(sid, expires, write); done != nil {
			s.log.WarnContext(ctx, "live: the store refused the result; retrying until it takes it", "sid", sid, "err", err)
			return nil, &savingError{err: err, done: done}
		}
	}
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "live: session finished", "sid", sid, "status", res.Status, "gesture_status", res.GestureStatus,
		"liveness_score", v.Score, "decisive", v.Decisive)
	return sess, nil
}

// MaxPendingResults caps the results a Service keeps retrying to write at
// once (one goroutine each); past it a result that the store refuses is
// lost, and logged as an error.
const MaxPendingResults = 1024

// The backoff of a result's retries: from saveBackoffMin, doubling, to
// saveBackoffMax (about a Redis restart's length).
var (
	saveBackoffMin = 100 * time.Millisecond
	saveBackoffMax = 5 * time.Second
)

// savingError is finish's answer when the store failed and the write goes
// on in the background: done receives its outcome once.
type savingError struct {
	err  error
	done <-chan saved
}

func (e *savingError) Error() string { return "result being saved: " + e.err.Error() }
func (e *savingError) Unwrap() error { return e.err }

// saved is the outcome of a result write retried in the background.
type saved struct {
	sess *session.Session
	err  error
}

// retryable reports whether err is a store failure that a later try may
// not meet (an outage, a deadline, anything unexpected) rather than a
// refusal of the transition (not found, final, expired, invalid).
func retryable(err error) bool {
	switch session.ErrorCode(err) {
	case session.EUnavailable, session.EInternal:
		return !errors.Is(err, context.Canceled)
	}
	return false
}

// saveLater retries write with backoff until the store takes it, refuses
// it for good (the session was ended otherwise), the session's expiry
// passes, or a Shutdown runs out of time (s.ctx ends; a Shutdown waits for
// the write until then). It returns nil, and starts nothing, when
// MaxPendingResults writes are already pending.
func (s *Service) saveLater(sid string, expires time.Time, write func(context.Context) (*session.Session, error)) <-chan saved {
	s.mu.Lock()
	if s.saving >= MaxPendingResults {
		s.mu.Unlock()
		s.log.Error("live: too many results waiting for the store; this one is lost", "sid", sid)
		return nil
	}
	s.saving++
	s.wg.Add(1)
	s.mu.Unlock()
	s.m.savesPending.Inc()
	done := make(chan saved, 1)
	go func() {
		defer s.wg.Done()
		sess, err := s.retryWrite(sid, expires, write)
		s.mu.Lock()
		s.saving--
		s.mu.Unlock()
		s.m.savesPending.Dec()
		if err != nil {
			s.log.Error("live: the result could not be written before the session's expiry or the shutdown", "sid", sid, "err", err)
		} else {
			s.log.Info("live: session finished (the result was written on a retry)", "sid", sid, "status", sess.Result.Status)
		}
		done <- saved{sess: sess, err: err}
	}()
	return done
}

// retryWrite runs write until it succeeds or fails for good.
func (s *Service) retryWrite(sid string, expires time.Time, write func(context.Context) (*session.Session, error)) (*session.Session, error) {
	ctx, cancel := context.WithTimeout(s.ctx, expires.Sub(s.cfg.Now()))
	defer cancel()
	wait := saveBackoffMin
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("live: write the result of %s: %w", sid, ctx.Err())
		case <-t.C:
		}
		sess, err := write(ctx)
		if err == nil || !retryable(err) {
			return sess, err
		}
		wait = min(2*wait, saveBackoffMax)
	}
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
