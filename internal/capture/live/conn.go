package live

import (
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/livegate/livegate/internal/capture"
	"github.com/livegate/livegate/internal/capture/live/pagemsg"
	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/session"
)

// rttInterval is how often a connection reads its round-trip time.
const rttInterval = time.Second

// conn is one live connection of a session.
type conn struct {
	svc      *Service
	sid      string
	owner    string // the session's API key, for its share of the slots
	req      OfferRequest
	gestures []session.Gesture
	passive  bool // a passive-liveness session: passiveCheck, no Challenge
	log      *slog.Logger
	engine   Engine
	peer     *capture.Peer
	e        *entry // set under svc.mu

	msgs    chan string      // page → server message types
	results chan attemptEnd  // capacity 1: one attempt at a time
	stopC   chan string      // capacity 1: replace, hang-up or shutdown
	sent    chan instruction // instructions sent, for the audit trail

	mu      sync.Mutex // guards ch, pv, partial, pending, smp, cues, label, rtt
	ch      *gesture.Challenge
	pv      *passiveCheck  // the running passive attempt (passive.go)
	partial gesture.Result // the running attempt's result so far
	pending bool           // an ended attempt is on its way to results
	smp     *sampler       // the running attempt's frames for the model
	cues    *streamCues    // the running attempt's stream cues
	label   string         // the camera label the page reported

	ref *session.Reference // the session's verify_image face (control goroutine only)
	rtt time.Duration      // the connection's last known round-trip time

	lastCh  *gesture.Challenge // analysis goroutine only
	lastPv  *passiveCheck      // analysis goroutine only
	final   bool               // control goroutine only: the session is over for this page
	renewed time.Time          // control goroutine only: the claim's last renewal (renewClaim)
	expires time.Time          // the session's expiry: the bound of a result's retries
	// saving receives the outcome of the session's result write that the
	// store refused and that goes on in the background; then runs with
	// the stored session. Both nil unless saving (control goroutine only).
	saving <-chan saved
	then   func(*session.Session)
}

func newConn(s *Service, sess *session.Session, req OfferRequest, eng Engine) *conn {
	return &conn{
		svc:      s,
		sid:      req.SID,
		owner:    sess.Owner,
		req:      req,
		gestures: append([]session.Gesture(nil), sess.Gestures...),
		passive:  sess.Kind == session.KindPassive,
		expires:  sess.ExpiresAt,
		log:      s.log.With("sid", req.SID),
		engine:   eng,
		msgs:     make(chan string, 8),
		results:  make(chan attemptEnd, 1),
		stopC:    make(chan string, 1),
		sent:     make(chan instruction, 8),
	}
}

// instruction is an instruction sent to the page: its gesture and when.
type instruction struct {
	gesture session.Gesture
	at      time.Time
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

// Frame is the capture.FrameSink. The peer calls FrameColour instead (conn
// is a capture.ColourSink); Frame serves a grey source all the same, with
// no frames for the model.
func (c *conn) Frame(f capture.Frame) { c.frame(f) }

// FrameColour is the capture.ColourSink: the engine gets the luma plane
// (f.Img, no copy), the attempt's sampler the colour frame.
func (c *conn) FrameColour(f capture.Frame) { c.frame(f) }

// frame runs on the peer's analysis goroutine, only while an attempt runs.
func (c *conn) frame(f capture.Frame) {
	if c.passive {
		c.passiveFrame(f)
		return
	}
	c.mu.Lock()
	ch, smp := c.ch, c.smp
	c.mu.Unlock()
	if ch == nil {
		return
	}
	start := time.Now()
	if ch != c.lastCh {
		c.engine.Reset() // a new attempt starts with a fresh track
		c.lastCh = ch
	}
	o := c.engine.Process(f.Img, f.T)
	// The pacing times the user by the server's clock, never by the
	// capture times the page's RTP timestamps make.
	o.Arrival = f.Arrival
	if smp != nil && f.Colour != nil {
		smp.offer(f.Colour, &o)
	}

	c.mu.Lock()
	if c.ch != ch {
		c.mu.Unlock()
		return // the attempt was stopped meanwhile
	}
	evs := ch.Observe(o)
	var out [][]byte
	var end *attemptEnd
	var asked session.Gesture
	timeout := false
	for i := range evs {
		if m := eventMessage(&evs[i], len(c.gestures)); m != nil {
			out = append(out, m)
		}
		switch evs[i].Type {
		case gesture.EventTimeout:
			timeout = true
		case gesture.EventGestureStart:
			asked = evs[i].Gesture
		}
	}
	c.partial = ch.Result()
	if ch.Done() {
		end = &attemptEnd{res: c.partial, timeout: timeout, ev: attemptEvidence{samples: c.smp, cues: c.cues}}
		c.ch, c.pending, c.smp, c.cues = nil, true, nil, nil
	}
	c.mu.Unlock()

	if asked != "" {
		// Before the instruction leaves: from now on the page knows a
		// gesture of this attempt, which a new connection cannot resume.
		c.svc.mu.Lock()
		if c.e != nil && c.e.attempt != 0 {
			c.e.engaged = true
		}
		c.svc.mu.Unlock()
	}
	now := time.Now()
	c.svc.m.analysis.Observe(now.Sub(start).Seconds())
	c.svc.m.delay.Observe(now.Sub(f.T).Seconds())
	for _, m := range out {
		c.send(m)
	}
	if asked != "" {
		// The instruction's time is when it left, on the clock of the
		// frames' arrival.
		at := c.peer.Now()
		c.mu.Lock()
		if c.ch == ch {
			ch.Instructed(at)
		}
		c.mu.Unlock()
		select {
		case c.sent <- instruction{gesture: asked, at: at}:
		default:
			c.log.Warn("live: instruction not audited: the control goroutine is behind", "gesture", asked)
		}
	}
	if end != nil {
		c.results <- *end
	}
}

// measureRTT reads the connection's round-trip time and gives it to the
// running challenge.
func (c *conn) measureRTT() {
	d, ok := c.peer.RTT()
	if !ok {
		return
	}
	c.mu.Lock()
	c.rtt = d
	if c.ch != nil {
		c.ch.SetRTT(d)
	}
	c.mu.Unlock()
}

// run is the connection's control goroutine.
func (c *conn) run() {
	s := c.svc
	// The service's context: every store call below derives its deadline
	// from it, and it ends when a Shutdown runs out of time.
	ctx := s.ctx
	defer s.wg.Done()
	poll := time.NewTicker(s.cfg.PollInterval)
	defer poll.Stop()
	// The round-trip time corrects the reaction times; ICE refreshes it
	// with its keepalives, every few seconds.
	rttTick := time.NewTicker(rttInterval)
	defer rttTick.Stop()
	limit := make(chan struct{})
	lt := s.cfg.AfterFunc(s.cfg.ConnectionLimit, func() { close(limit) })
	defer lt.Stop()
	open := c.peer.ChannelOpen()
	closing := false
	c.renewClaim(ctx) // on connect; then every claimRenewal, from check
	for {
		select {
		case <-open:
			open = nil
			c.measureRTT()
			c.hello(ctx)
		case t := <-c.msgs:
			if closing || c.saving != nil {
				continue // the result is decided: no new attempt, no cancel
			}
			switch t {
			case pagemsg.Ready:
				c.ready(ctx)
			case pagemsg.Cancel:
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
		case <-rttTick.C:
			c.measureRTT()
		case in := <-c.sent:
			if !closing {
				c.auditInstruction(ctx, in)
			}
		case sv := <-c.saving:
			then := c.then
			c.saving, c.then = nil, nil
			if !closing {
				if sv.err != nil {
					c.storeRefused(ctx, sv.err)
				} else {
					then(sv.sess)
				}
				closing = c.final
			}
		case <-poll.C:
			if !closing && c.saving == nil {
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
			c.ch, c.pv = nil, nil
			c.mu.Unlock()
			c.closeEngine()
			c.log.Info("live: connection ended", "reason", c.peer.Err().Error(), "stats", c.peer.Stats())
			s.connEnded(c)
			return
		}
	}
}
