package live

import (
	"context"
	"encoding/json"
	"errors"
	"image"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/livegate/livegate/internal/capture"
	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/session"
)

// Reasons of closing messages (docs/protocol.md).
const (
	reasonRevoked   = "revoked"
	reasonExpired   = "expired"
	reasonShutdown  = "shutdown"
	reasonTimeLimit = "time_limit"
	reasonReplaced  = "replaced"
	// reasonHangup is the page's own DELETE: no closing message.
	reasonHangup = "hangup"
)

// Attempt outcomes in the audit trail and the attempts metric, beside the
// GLAIR gesture statuses.
const (
	outcomeTimeout        = "timeout"
	outcomeConnectionLost = "connection_lost"
	outcomeCanceled       = "canceled"
	outcomeHandedBack     = "handed_back"
)

// attemptEnd is a finished challenge, from the analysis goroutine to the
// control goroutine.
type attemptEnd struct {
	res     gesture.Result
	timeout bool // ended by a timeout event
}

// conn is one live connection of a session.
type conn struct {
	svc      *Service
	sid      string
	req      OfferRequest
	gestures []session.Gesture
	log      *slog.Logger
	engine   Engine
	peer     *capture.Peer
	e        *entry // set under svc.mu

	msgs    chan string     // page → server message types
	results chan attemptEnd // capacity 1: one attempt at a time
	stopC   chan string     // capacity 1: replace, hang-up or shutdown

	mu      sync.Mutex // guards ch, partial, pending
	ch      *gesture.Challenge
	partial gesture.Result // the running attempt's result so far
	pending bool           // an ended attempt is on its way to results

	lastCh *gesture.Challenge // analysis goroutine only
	final  bool               // control goroutine only: the session is over for this page
}

func newConn(s *Service, sess *session.Session, req OfferRequest, eng Engine) *conn {
	return &conn{
		svc:      s,
		sid:      req.SID,
		req:      req,
		gestures: append([]session.Gesture(nil), sess.Gestures...),
		log:      s.log.With("sid", req.SID),
		engine:   eng,
		msgs:     make(chan string, 8),
		results:  make(chan attemptEnd, 1),
		stopC:    make(chan string, 1),
	}
}

func (c *conn) closeEngine() {
	if cl, ok := c.engine.(io.Closer); ok {
		_ = cl.Close()
	}
}

// stop asks the control goroutine to end the connection for reason.
func (c *conn) stop(reason string) {
	select {
	case c.stopC <- reason:
	default: // already stopping
	}
}

// onMessage handles a page → server message (pion's goroutine).
func (c *conn) onMessage(raw []byte) {
	var m struct {
		V    int    `json:"v"`
		Type string `json:"type"`
	}
	if err := json.Unmarshal(raw, &m); err != nil || m.V != 1 || (m.Type != "ready" && m.Type != "cancel") {
		c.log.Warn("live: ignoring a page message", "v", m.V, "type", m.Type, "bytes", len(raw))
		return
	}
	select {
	case c.msgs <- m.Type:
	default:
		c.log.Warn("live: page messages arrive faster than handled; dropped one", "type", m.Type)
	}
}

// Frame is the capture.FrameSink: it runs on the peer's analysis
// goroutine, only while an attempt runs.
func (c *conn) Frame(img *image.Gray, t time.Time) {
	c.mu.Lock()
	ch := c.ch
	c.mu.Unlock()
	if ch == nil {
		return
	}
	start := time.Now()
	if ch != c.lastCh {
		c.engine.Reset() // a new attempt starts with a fresh track
		c.lastCh = ch
	}
	o := c.engine.Process(img, t)

	c.mu.Lock()
	if c.ch != ch {
		c.mu.Unlock()
		return // the attempt was stopped meanwhile
	}
	evs := ch.Observe(o)
	var out [][]byte
	var end *attemptEnd
	timeout := false
	for i := range evs {
		if m := c.translate(&evs[i]); m != nil {
			out = append(out, m)
		}
		if evs[i].Type == gesture.EventTimeout {
			timeout = true
		}
	}
	c.partial = ch.Result()
	if ch.Done() {
		end = &attemptEnd{res: c.partial, timeout: timeout}
		c.ch, c.pending = nil, true
	}
	c.mu.Unlock()

	now := time.Now()
	c.svc.m.analysis.Observe(now.Sub(start).Seconds())
	c.svc.m.delay.Observe(now.Sub(t).Seconds())
	for _, m := range out {
		c.send(m)
	}
	if end != nil {
		c.results <- *end
	}
}

// translate turns a challenge event into its protocol message, or nil for
// events the page does not see.
func (c *conn) translate(e *gesture.Event) []byte {
	total := len(c.gestures)
	switch e.Type {
	case gesture.EventGestureStart:
		return encode(msg{Type: "instruction", Gesture: e.Gesture, Index: ptr(e.Index), Total: total})
	case gesture.EventProgress:
		overall := (float64(e.Index) + e.Progress) / float64(total)
		return encode(msg{Type: "progress", Gesture: e.Gesture, Index: ptr(e.Index), Value: ptr(round2(e.Progress)), Overall: ptr(round2(overall))})
	case gesture.EventHint:
		return encode(msg{Type: "hint", Code: string(e.Hint)})
	case gesture.EventFaceLost:
		return encode(msg{Type: "face", Present: ptr(false)})
	case gesture.EventFaceFound:
		return encode(msg{Type: "face", Present: ptr(true)})
	case gesture.EventMatch:
		return encode(msg{Type: "matched", Gesture: e.Gesture, Index: ptr(e.Index)})
	}
	return nil
}

// send writes one message; a page that is gone is not an error here (the
// peer's end is handled by the control goroutine).
func (c *conn) send(m []byte) {
	if err := c.peer.Send(m); err != nil {
		c.log.Debug("live: send", "err", err)
	}
}

// run is the connection's control goroutine.
func (c *conn) run() {
	s := c.svc
	ctx := context.Background()
	defer s.wg.Done()
	poll := time.NewTicker(s.cfg.PollInterval)
	defer poll.Stop()
	limit := make(chan struct{})
	lt := s.cfg.AfterFunc(s.cfg.ConnectionLimit, func() { close(limit) })
	defer lt.Stop()
	open := c.peer.ChannelOpen()
	closing := false
	for {
		select {
		case <-open:
			open = nil
			c.hello(ctx)
		case t := <-c.msgs:
			if closing {
				continue
			}
			switch t {
			case "ready":
				c.ready(ctx)
			case "cancel":
				c.cancel(ctx)
			}
			closing = c.final
		case end := <-c.results:
			c.mu.Lock()
			c.pending = false
			c.mu.Unlock()
			if !closing {
				c.ended(ctx, end)
				closing = c.final
			}
		case <-poll.C:
			if !closing {
				c.check(ctx)
				closing = c.final
			}
		case <-limit:
			limit = nil
			if !closing {
				closing = true
				c.close(reasonTimeLimit)
			}
		case why := <-c.stopC:
			if closing {
				continue
			}
			closing = true
			switch why {
			case reasonShutdown:
				c.handBack(ctx)
				c.close(why)
			case reasonHangup:
				c.peer.Close(nil)
			default:
				c.close(why)
			}
		case <-c.peer.Done():
			c.mu.Lock()
			c.ch = nil
			c.mu.Unlock()
			c.closeEngine()
			c.log.Info("live: connection ended", "reason", c.peer.Err().Error(), "stats", c.peer.Stats())
			s.connEnded(c)
			return
		}
	}
}

// close sends closing with reason and closes the peer (the message is
// flushed first).
func (c *conn) close(reason string) {
	c.send(encode(msg{Type: "closing", Reason: reason}))
	c.peer.Close(nil)
}

func (c *conn) hello(ctx context.Context) {
	sess, err := c.svc.cfg.Store.Get(ctx, c.sid)
	if err != nil {
		c.log.Warn("live: read session", "err", err)
		c.peer.Close(err)
		return
	}
	left := sess.AttemptsLeft()
	c.send(encode(msg{Type: "hello", Gestures: c.gestures, AttemptsLeft: &left}))
}

// ready starts an attempt, or resumes the open one after a reconnection.
func (c *conn) ready(ctx context.Context) {
	s := c.svc
	c.mu.Lock()
	running, pending := c.ch != nil, c.pending
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
	s.mu.Lock()
	n := c.e.attempt
	s.mu.Unlock()
	if n != 0 {
		s.audit(ctx, c.sid, session.AuditEntry{Attempt: n, Event: "attempt_resumed", ClientIP: c.req.ClientIP, UserAgent: c.req.UserAgent})
	} else {
		now := s.cfg.Now()
		_, err := s.cfg.Store.Update(ctx, c.sid, func(x *session.Session) error {
			var err error
			n, err = x.StartAttempt(now)
			return err
		})
		if err != nil {
			c.storeRefused(ctx, err)
			return
		}
		s.mu.Lock()
		c.e.attempt = n
		s.mu.Unlock()
		s.audit(ctx, c.sid, session.AuditEntry{Attempt: n, Event: "attempt_started", ClientIP: c.req.ClientIP, UserAgent: c.req.UserAgent})
	}
	c.log.Info("live: attempt started", "attempt", n)
	c.mu.Lock()
	c.ch = gesture.NewChallenge(c.gestures, s.cfg.Challenge)
	c.partial = gesture.Result{}
	c.mu.Unlock()
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
	c.ch = nil
	c.mu.Unlock()
	s.mu.Lock()
	c.e.attempt = 0
	s.mu.Unlock()
	c.final = true
	c.close(reason)
}

// check closes the connection when the session was revoked or expired.
func (c *conn) check(ctx context.Context) {
	sess, err := c.svc.cfg.Store.Get(ctx, c.sid)
	if err != nil {
		if errors.Is(err, session.ErrNotFound) {
			c.endSession(reasonRevoked)
		}
		return
	}
	switch sess.StatusAt(c.svc.cfg.Now()) {
	case session.StatusPending:
	case session.StatusExpired:
		c.endSession(reasonExpired)
	default:
		c.endSession(reasonRevoked)
	}
}

// ended handles the end of an attempt.
func (c *conn) ended(ctx context.Context, end attemptEnd) {
	s := c.svc
	s.mu.Lock()
	n := c.e.attempt
	c.e.attempt = 0
	c.e.evidence.add(end.res)
	ev := c.e.evidence
	s.mu.Unlock()
	st := end.res.Status
	outcome := string(st)
	if end.timeout && st == session.GestureNotMatch {
		outcome = outcomeTimeout
	}
	s.m.attempts.WithLabelValues(outcome).Inc()
	s.audit(ctx, c.sid, session.AuditEntry{Attempt: n, Event: "attempt_ended", Outcome: outcome, ClientIP: c.req.ClientIP, UserAgent: c.req.UserAgent})
	c.log.Info("live: attempt ended", "attempt", n, "outcome", outcome)

	if st == session.GestureMatch {
		sess, err := s.finish(ctx, c.sid, end.res, ev)
		if err != nil {
			c.storeRefused(ctx, err)
			return
		}
		c.done("success", sess)
		return
	}
	sess, err := s.cfg.Store.Get(ctx, c.sid)
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
	sess, err = s.finish(ctx, c.sid, end.res, ev)
	if err != nil {
		c.storeRefused(ctx, err)
		return
	}
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
	c.ch = nil
	c.mu.Unlock()
	now := s.cfg.Now()
	sess, err := s.cfg.Store.Update(ctx, c.sid, func(x *session.Session) error { return x.Cancel(now) })
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
	c.ch = nil
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

// msg is every data-channel message of docs/protocol.md, server → page.
type msg struct {
	V            int               `json:"v"`
	Type         string            `json:"type"`
	Gestures     []session.Gesture `json:"gestures,omitempty"`
	AttemptsLeft *int              `json:"attempts_left,omitempty"`
	Gesture      session.Gesture   `json:"gesture,omitempty"`
	Index        *int              `json:"index,omitempty"`
	Total        int               `json:"total,omitempty"`
	Value        *float64          `json:"value,omitempty"`
	Overall      *float64          `json:"overall,omitempty"`
	Code         string            `json:"code,omitempty"`
	Present      *bool             `json:"present,omitempty"`
	Reason       string            `json:"reason,omitempty"`
	Outcome      string            `json:"outcome,omitempty"`
	Redirect     string            `json:"redirect,omitempty"`
}

func encode(m msg) []byte {
	m.V = 1
	b, _ := json.Marshal(m) // plain values: cannot fail
	return b
}

func ptr[T any](v T) *T { return &v }

func round2(v float64) float64 { return float64(int(v*100+0.5)) / 100 }
