package live

import (
	"context"
	"errors"

	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/liveness"
	"github.com/livegate/livegate/internal/session"
)

// This file is the attempt: what the control goroutine does on the page's
// messages and on an attempt's end (start, resume, end, cancel, hand back)
// and the store transitions behind them. Every store call goes through the
// Service's helpers (store.go), which give it a deadline.

// Attempt outcomes in the audit trail and the attempts metric, beside the
// session's gesture statuses (session.GestureMatch, …).
const (
	outcomeTimeout        = "timeout"
	outcomeConnectionLost = "connection_lost"
	outcomeCanceled       = "canceled"
	outcomeHandedBack     = "handed_back"
)

// Failures of a paced gesture that are the attempt's outcome, the reason
// of attempt_failed (gesture.GestureResult.Failure).
const (
	failEarly = "early"
	failLate  = "late"
	failWrong = "wrong_gesture"
)

// auditInstruction records an instruction sent in the running attempt.
func (c *conn) auditInstruction(ctx context.Context, in instruction) {
	s := c.svc
	s.mu.Lock()
	n := c.e.attempt
	s.mu.Unlock()
	s.audit(ctx, c.sid, session.AuditEntry{Time: in.at, Attempt: n, Event: "instruction", Gesture: in.gesture, ClientIP: c.req.ClientIP, UserAgent: c.req.UserAgent})
}

// attemptEnd is a finished challenge, from the analysis goroutine to the
// control goroutine.
type attemptEnd struct {
	res     gesture.Result
	timeout bool            // ended by a timeout event
	ev      attemptEvidence // the model's frames and the stream cues
}

func (c *conn) hello(ctx context.Context) {
	if c.settleOpen(ctx) {
		return
	}
	sess, err := c.svc.get(ctx, c.sid)
	if err != nil {
		c.log.Warn("live: read session", "err", err)
		c.peer.Close(err)
		return
	}
	left := sess.AttemptsLeft()
	c.ref = sess.Reference
	// The gestures are not announced: each is told only when it is asked
	// (instruction), after the server's random wait.
	c.send(encode(msg{Type: "hello", Total: len(c.gestures), AttemptsLeft: &left, Passive: c.passive}))
}

// ready starts an attempt, or resumes the open one after a reconnection.
func (c *conn) ready(ctx context.Context) {
	s := c.svc
	c.mu.Lock()
	running, pending := c.ch != nil || c.pv != nil, c.pending
	c.mu.Unlock()
	if running {
		c.log.Warn("live: ready during an attempt: ignored")
		return
	}
	if pending {
		// The attempt that just ended is settled first, so that a ready
		// sent before its attempt_failed cannot resume it for free.
		end := <-c.results
		c.mu.Lock()
		c.pending = false
		c.mu.Unlock()
		c.ended(ctx, end)
		if c.final {
			return
		}
	}
	// A gesture may have been asked since hello (by the replaced page).
	if c.settleOpen(ctx) {
		return
	}
	s.mu.Lock()
	n := c.e.attempt
	resumes := 0
	if n != 0 {
		c.e.resumes++
		resumes = c.e.resumes
	}
	s.mu.Unlock()
	if n != 0 {
		// Before any gesture was asked: the page learnt nothing of this
		// attempt yet, and the attempt restarts from the baseline it had
		// not used. Only the first resume is audited (the trail is capped,
		// and its first entries must stay); the rest are counted.
		s.m.resumes.Inc()
		if resumes == 1 {
			s.audit(ctx, c.sid, session.AuditEntry{Attempt: n, Event: "attempt_resumed", ClientIP: c.req.ClientIP, UserAgent: c.req.UserAgent})
		}
		c.log.Info("live: attempt resumed", "attempt", n, "resumes", resumes)
	} else {
		now := s.cfg.Now()
		_, err := s.update(ctx, c.sid, func(x *session.Session) error {
			var err error
			n, err = x.StartAttempt(now)
			return err
		})
		if err != nil {
			c.storeRefused(ctx, err)
			return
		}
		s.mu.Lock()
		// A passive attempt has no instruction: its burst may begin at
		// once, so it is engaged from its start.
		c.e.attempt, c.e.engaged, c.e.resumes = n, c.passive, 0
		s.mu.Unlock()
		s.audit(ctx, c.sid, session.AuditEntry{Attempt: n, Event: "attempt_started", ClientIP: c.req.ClientIP, UserAgent: c.req.UserAgent})
	}
	c.log.Info("live: attempt started", "attempt", n)
	c.mu.Lock()
	if c.passive {
		c.pv = newPassiveCheck(s.cfg.Passive)
	} else {
		// A new challenge draws new random waits.
		c.ch = gesture.NewChallenge(c.gestures, s.cfg.Challenge)
		c.ch.SetRTT(c.rtt)
	}
	c.partial = gesture.Result{}
	c.smp, c.cues = newSampler(s.cfg.Samples), newStreamCues()
	c.cues.peerStart = c.peer.Stats()
	c.mu.Unlock()
}

// settleOpen ends, as connection_lost, the open attempt this new
// connection took over when that attempt had already asked a gesture (or,
// passive, had started): such an attempt is never resumed, so dropping or
// replacing the connection cannot buy a fresh baseline, new random waits
// and new gesture timers without using an attempt (issue 14). The open
// attempt counted when it started; the page's next ready starts another,
// which counts again. When no attempt is left the session ends as failed
// and settleOpen, having sent done, returns true.
//
// The choice over "a resume continues the same attempt with its own
// timers": the running challenge and its baseline live in the dropped
// connection's engine, and carrying them over would let a page swap its
// camera (or its replayed clip) mid-attempt; ending the attempt is simple
// to reason about and costs an honest user with a flaky network one
// attempt, the same as a drop past the grace period.
func (c *conn) settleOpen(ctx context.Context) bool {
	s := c.svc
	s.mu.Lock()
	e := c.e
	n := 0
	if e != nil && e.conn == c && e.attempt != 0 && e.engaged {
		n = e.attempt
		e.attempt, e.engaged, e.resumes = 0, false, 0
	}
	var lost gesture.Result
	var ev liveness.Evidence
	if n != 0 {
		lost, ev = e.lost, e.evidence.evidence()
	}
	s.mu.Unlock()
	if n == 0 {
		return false
	}
	s.m.attempts.WithLabelValues(outcomeConnectionLost).Inc()
	s.audit(ctx, c.sid, session.AuditEntry{Attempt: n, Event: "attempt_ended", Outcome: outcomeConnectionLost, ClientIP: c.req.ClientIP, UserAgent: c.req.UserAgent})
	c.log.Info("live: attempt ended: connection lost (a new connection took it over after a gesture was asked)", "attempt", n)
	sess, err := s.get(ctx, c.sid)
	if err != nil {
		c.storeRefused(ctx, err)
		return true
	}
	if sess.StatusAt(s.cfg.Now()) != session.StatusPending {
		c.storeRefused(ctx, session.ErrFinal)
		return true
	}
	if sess.AttemptsLeft() > 0 {
		return false
	}
	lost.Status = session.GestureNotMatch
	c.finish(ctx, lost, ev, nil, func(sess *session.Session) { c.done("failed", sess) })
	return true
}

// finish writes the session's result (Service.finish) and runs then with
// the stored session: now, or, when the store failed and the write goes on
// in the background, once it is written; meanwhile the page is told its
// result is being saved (saving) and starts nothing new.
func (c *conn) finish(ctx context.Context, r gesture.Result, ev liveness.Evidence, verify *session.VerifyResult, then func(*session.Session)) {
	sess, err := c.svc.finish(ctx, c.sid, r, ev, verify, c.expires)
	var sv *savingError
	switch {
	case err == nil:
		then(sess)
	case errors.As(err, &sv):
		c.saving, c.then = sv.done, then
		c.send(encode(msg{Type: "saving"}))
	default:
		c.storeRefused(ctx, err)
	}
}

// storeRefused handles a transition refused because the session changed.
func (c *conn) storeRefused(ctx context.Context, err error) {
	switch {
	case errors.Is(err, session.ErrExpired):
		c.endSession(reasonExpired)
	case errors.Is(err, session.ErrFinal):
		c.endSession(reasonRevoked)
	case errors.Is(err, session.ErrNoAttemptsLeft):
		c.log.Warn("live: ready with no attempts left")
		c.endSession(reasonRevoked)
	default:
		c.log.Error("live: store", "err", err)
		c.final = true
		c.peer.Close(err)
	}
}

// endSession closes the page for a session that is over without this
// connection's doing.
func (c *conn) endSession(reason string) {
	s := c.svc
	c.mu.Lock()
	c.ch, c.pv, c.smp, c.cues = nil, nil, nil, nil
	c.mu.Unlock()
	s.mu.Lock()
	c.e.attempt = 0
	s.mu.Unlock()
	c.final = true
	c.close(reason)
}

// check closes the connection when the session was revoked or expired.
func (c *conn) check(ctx context.Context) {
	sess, err := c.svc.get(ctx, c.sid)
	if err != nil {
		if errors.Is(err, session.ErrNotFound) {
			c.endSession(reasonRevoked)
		}
		return
	}
	switch sess.StatusAt(c.svc.cfg.Now()) {
	case session.StatusPending:
		if c.svc.cfg.Now().Sub(c.renewed) >= claimRenewal {
			c.renewClaim(ctx)
		}
	case session.StatusExpired:
		c.endSession(reasonExpired)
	default:
		c.endSession(reasonRevoked)
	}
}

// claimRenewal is how often an open connection renews its browser's claim
// on the session: a third of the lease, so that two renewals may fail (a
// store restarting) before the claim lapses.
const claimRenewal = session.ClaimLease / 3

// renewClaim renews the claim of the connection's browser (on connect and
// every claimRenewal while the connection is open), so that a live
// capture's claim does not lapse. A failed write is retried at the next
// poll; a claim another browser took over (it had lapsed) ends this
// connection as revoked.
func (c *conn) renewClaim(ctx context.Context) {
	now := c.svc.cfg.Now()
	_, err := c.svc.update(ctx, c.sid, func(x *session.Session) error { return x.RenewClaim(c.req.Browser, now) })
	switch {
	case err == nil:
		c.renewed = now
	case errors.Is(err, session.ErrClaimed):
		c.log.Info("live: the claim was taken over by another browser")
		c.endSession(reasonRevoked)
	default:
		c.log.Warn("live: renew the claim", "err", err)
	}
}

// ended handles the end of an attempt.
func (c *conn) ended(ctx context.Context, end attemptEnd) {
	s := c.svc
	// The model runs here, on the control goroutine, once per attempt: a
	// few frames, off the analysis's per-frame path.
	scores := s.scoreSamples(ctx, end.ev.samples)
	c.mu.Lock()
	label := c.label
	c.mu.Unlock()
	s.mu.Lock()
	n := c.e.attempt
	c.e.attempt = 0
	c.e.evidence.addResult(end.res)
	c.e.evidence.addAttempt(end.ev, scores)
	c.e.evidence.ev.Stream.CameraLabel = label
	if end.ev.cues != nil && end.ev.cues.lagged(c.peer.Stats()) {
		c.e.evidence.ev.Stream.RTPRate = 0
		c.log.Warn("live: the server fell behind during the attempt; RTP drift not judged")
	}
	ev := c.e.evidence.evidence()
	s.mu.Unlock()
	st := end.res.Status
	outcome := string(st)
	if end.timeout && st == session.GestureNotMatch {
		outcome = outcomeTimeout
	}
	for _, g := range end.res.Gestures {
		if g.Failure == "" {
			continue
		}
		s.audit(ctx, c.sid, session.AuditEntry{Attempt: n, Event: "gesture_failed", Gesture: g.Gesture, Outcome: g.Failure, ClientIP: c.req.ClientIP, UserAgent: c.req.UserAgent})
		switch g.Failure {
		case failEarly, failLate, failWrong:
			outcome = g.Failure
		}
	}
	s.m.attempts.WithLabelValues(outcome).Inc()
	s.audit(ctx, c.sid, session.AuditEntry{Attempt: n, Event: "attempt_ended", Outcome: outcome, ClientIP: c.req.ClientIP, UserAgent: c.req.UserAgent})
	c.log.Info("live: attempt ended", "attempt", n, "outcome", outcome)

	if st == session.GestureMatch {
		c.finish(ctx, end.res, ev, s.verify(ctx, c.sid, c.ref, end.ev.samples), func(sess *session.Session) {
			s.keepImages(ctx, sess, end.ev.samples)
			c.matched(ctx, n, sess)
		})
		return
	}
	sess, err := s.get(ctx, c.sid)
	if err != nil {
		c.storeRefused(ctx, err)
		return
	}
	left := sess.AttemptsLeft()
	if sess.StatusAt(s.cfg.Now()) != session.StatusPending {
		c.storeRefused(ctx, session.ErrFinal)
		return
	}
	c.send(encode(msg{Type: "attempt_failed", Reason: outcome, AttemptsLeft: &left}))
	if left > 0 {
		return
	}
	c.finish(ctx, end.res, ev, s.verify(ctx, c.sid, c.ref, end.ev.samples), func(sess *session.Session) {
		s.keepImages(ctx, sess, end.ev.samples)
		c.done("failed", sess)
	})
}

// matched ends the page of attempt n, whose gestures all matched, once its
// result (sess's) is stored: success, or failed when the liveness evidence
// says attack.
func (c *conn) matched(ctx context.Context, n int, sess *session.Session) {
	if sess.Result.Status == "success" {
		c.done("success", sess)
		return
	}
	// Every gesture matched, but the evidence says attack: the page is
	// sent away as for any failure.
	attack := ""
	if sess.Result.AttackType != nil {
		attack = *sess.Result.AttackType
	}
	c.svc.audit(ctx, c.sid, session.AuditEntry{Attempt: n, Event: "liveness_failed", Outcome: attack, ClientIP: c.req.ClientIP, UserAgent: c.req.UserAgent})
	c.log.Info("live: gestures matched but liveness failed", "attempt", n, "attack_type", attack, "liveness_score", *sess.Result.LivenessScore)
	c.done("failed", sess)
}

// done sends the final message and closes.
func (c *conn) done(outcome string, sess *session.Session) {
	var redirect string
	var err error
	if outcome == "canceled" {
		redirect, err = sess.CancelRedirect()
		if redirect == "" {
			redirect = "/s/" + sess.ID // the page's own canceled screen
		}
	} else {
		redirect, err = sess.SuccessRedirect()
	}
	if err != nil {
		c.log.Error("live: redirect", "err", err)
	}
	c.final = true
	c.send(encode(msg{Type: "done", Outcome: outcome, Redirect: redirect}))
	c.peer.Close(nil)
}

// cancel is the page's cancel: the session is canceled as by the page's
// cancel form.
func (c *conn) cancel(ctx context.Context) {
	s := c.svc
	c.mu.Lock()
	c.ch, c.pv, c.smp, c.cues = nil, nil, nil, nil
	c.mu.Unlock()
	now := s.cfg.Now()
	sess, err := s.update(ctx, c.sid, func(x *session.Session) error { return x.Cancel(now) })
	if err != nil {
		c.storeRefused(ctx, err)
		return
	}
	s.mu.Lock()
	n := c.e.attempt
	c.e.attempt = 0
	s.mu.Unlock()
	if n != 0 {
		s.m.attempts.WithLabelValues(outcomeCanceled).Inc()
		s.audit(ctx, c.sid, session.AuditEntry{Attempt: n, Event: "attempt_ended", Outcome: outcomeCanceled, ClientIP: c.req.ClientIP, UserAgent: c.req.UserAgent})
	}
	s.audit(ctx, c.sid, session.AuditEntry{Event: "canceled", ClientIP: c.req.ClientIP, UserAgent: c.req.UserAgent})
	c.log.Info("live: session canceled by the end user")
	c.done("canceled", sess)
}

// handBack refunds the open attempt on shutdown.
func (c *conn) handBack(ctx context.Context) {
	s := c.svc
	c.mu.Lock()
	c.ch, c.pv = nil, nil
	c.mu.Unlock()
	s.mu.Lock()
	n := c.e.attempt
	c.e.attempt = 0
	s.mu.Unlock()
	c.final = true
	if n != 0 {
		s.handBack(ctx, c.sid, n)
	}
}
