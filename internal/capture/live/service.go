package live

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/livegate/livegate/internal/capture"
	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/liveness"
	"github.com/livegate/livegate/internal/sealed"
	"github.com/livegate/livegate/internal/session"
)

// Engine measures one connection's frames (gesture.Engine is one). The
// Service resets it at the start of every attempt and, when it implements
// io.Closer, closes it when the connection ends.
type Engine interface {
	Process(img *image.Gray, t time.Time) gesture.Observation
	Reset()
}

// EngineFactory makes one Engine per connection. The real one shares the
// immutable models between engines (see package perception); tests inject
// cheap fakes.
type EngineFactory interface {
	NewEngine() (Engine, error)
}

// EngineFactoryFunc adapts a function to EngineFactory.
type EngineFactoryFunc func() (Engine, error)

// NewEngine calls f.
func (f EngineFactoryFunc) NewEngine() (Engine, error) { return f() }

// Timer is what AfterFunc returns; *time.Timer is one.
type Timer interface{ Stop() bool }

// Config holds a Service's dependencies and limits. Store, API and Engines
// are required; zero limits take the defaults.
type Config struct {
	Store   session.Store
	API     *capture.API
	Engines EngineFactory
	// Challenge are the gesture rules of every attempt.
	Challenge gesture.ChallengeConfig
	// Passive are the rules of a passive-liveness session's attempts.
	Passive PassiveConfig
	// AntiSpoof, when set, scores the best frontal frames of each attempt
	// (Samples of them, default 4) once the attempt has ended; its scores
	// join the session's liveness evidence. Without it the model's signal
	// is listed as not run.
	AntiSpoof AntiSpoof
	Samples   int
	// Faces embeds the same sampled frames of an attempt that finishes a
	// session created with a verify_image, for its verify_result; nil
	// leaves verify_result out. MatchThreshold is the embedding distance
	// under which two faces are the same person (0: faceid's default).
	Faces          FaceEmbedder
	MatchThreshold float64
	// DataKeys opens a reference's sealed embedding (the keyring the API
	// sealed it with) and seals the evidence images.
	DataKeys *sealed.Keyring
	// Images keeps the evidence images of a finished session (images.go)
	// for its biometric retention; nil, or no DataKeys, keeps none.
	Images session.ImageStore
	// EncodeJPEG encodes them (nil: StdJPEG).
	EncodeJPEG JPEGEncoder
	// Liveness fuses the evidence into liveness_score and attack_type; its
	// PassMark (default 50) decides whether a session whose gestures all
	// matched succeeds.
	Liveness liveness.Config

	// MaxLive caps the live connections of the process (default 8 per
	// core); an offer past it gets a *FullError.
	MaxLive int
	// MaxLivePerKey caps the live connections of one API key's sessions
	// (0: MaxLive), so that one integrator cannot hold every slot; an
	// offer past it gets a session.LimitError (503, live_share_full).
	MaxLivePerKey int
	// ConnectionLimit is the absolute lifetime of one connection (default
	// 5 min); the page is then sent closing/time_limit.
	ConnectionLimit time.Duration
	// Grace is how long an attempt whose connection dropped waits for the
	// page to reconnect before it ends as connection_lost (default 5 s).
	Grace time.Duration
	// PollInterval is how often a live connection re-reads its session to
	// notice a revocation or the expiry (default 1 s).
	PollInterval time.Duration
	// StoreTimeout bounds every store call of the Service (default 5 s):
	// a session read, a transition or an audit entry that takes longer
	// fails as the store being down would.
	StoreTimeout time.Duration
	// RetryAfter is what the *FullError tells the client to wait (default
	// 5 s).
	RetryAfter time.Duration

	// Now is the clock of the store transitions (default time.Now).
	Now func() time.Time
	// AfterFunc schedules the grace and time-limit timers (default
	// time.AfterFunc).
	AfterFunc func(d time.Duration, f func()) Timer
	Logger    *slog.Logger
	// Registerer receives the metrics; none are registered when nil.
	Registerer prometheus.Registerer
}

// OfferRequest is one browser's offer for a session.
type OfferRequest struct {
	SID string
	// Browser is the digest of the browser's cookie (web.Browser.Digest),
	// which must be the session's claimant.
	Browser string
	SDP     string
	// ClientIP and UserAgent go into the audit trail of the attempts.
	ClientIP  string
	UserAgent string
}

// ErrShuttingDown is returned by Offer once Shutdown has begun.
var ErrShuttingDown = &session.Error{Code: session.EUnavailable, Message: "the server is shutting down; retry on another instance"}

// FullError is returned by Offer when the live-connection cap is reached.
// It matches session.EUnavailable (503) and says when to retry.
type FullError struct{ After time.Duration }

func (e *FullError) Error() string { return "too many live connections; retry later" }

// RetryAfter is how long the client should wait.
func (e *FullError) RetryAfter() time.Duration { return e.After }

// Unwrap gives the session error with code EUnavailable.
func (e *FullError) Unwrap() error {
	return &session.Error{Code: session.EUnavailable, Message: e.Error()}
}

// Service runs the live connections of every session of the process.
type Service struct {
	cfg Config
	log *slog.Logger
	m   *metrics

	// ctx is the parent of the store calls the Service makes on its own
	// (not for a request); cancel ends it when a Shutdown runs out of
	// time or completes.
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	entries  map[string]*entry
	conns    map[*conn]struct{} // running connections, replaced ones included
	reserved int                // slots taken by offers being accepted
	// reservedBy counts reserved by the sessions' API key.
	reservedBy map[string]int
	closed     bool
	saving     int           // results being written on retries (saveLater)
	ended      capture.Stats // frame counters of connections that ended
	wg         sync.WaitGroup
}

// entry is a session with a live connection or an open attempt.
type entry struct {
	sid     string
	conn    *conn
	attempt int // open attempt number; 0 when none
	// engaged is set once the open attempt has asked a gesture (its first
	// instruction left) or, for a passive session, once it started: from
	// then on a new connection cannot resume it (see conn.settleOpen).
	engaged bool
	// resumes counts the resumes of the open attempt; only the first is
	// audited, so that reconnections cannot flood the audit trail.
	resumes  int
	lost     gesture.Result
	grace    Timer
	evidence sessionEvidence
}

// New checks cfg and returns the Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.API == nil || cfg.Engines == nil {
		return nil, errors.New("live: Store, API and Engines are required")
	}
	if cfg.MaxLive <= 0 {
		cfg.MaxLive = 8 * runtime.GOMAXPROCS(0)
	}
	if cfg.MaxLivePerKey <= 0 || cfg.MaxLivePerKey > cfg.MaxLive {
		cfg.MaxLivePerKey = cfg.MaxLive
	}
	if cfg.ConnectionLimit <= 0 {
		cfg.ConnectionLimit = 5 * time.Minute
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 5 * time.Second
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.StoreTimeout <= 0 {
		cfg.StoreTimeout = 5 * time.Second
	}
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = 5 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.AfterFunc == nil {
		cfg.AfterFunc = func(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{
		cfg:        cfg,
		log:        cfg.Logger,
		entries:    map[string]*entry{},
		conns:      map[*conn]struct{}{},
		reservedBy: map[string]int{},
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.m = newMetrics(s)
	if cfg.Registerer != nil {
		if err := s.m.register(cfg.Registerer); err != nil {
			s.cancel()
			return nil, fmt.Errorf("live: metrics: %w", err)
		}
	}
	return s, nil
}

// ICEServers are the STUN and TURN servers the page of sid must use, with
// TURN credentials issued now for sid when a TURN secret is configured.
func (s *Service) ICEServers(sid string) []capture.ICEServer { return s.cfg.API.ICEServersFor(sid) }

// Live is the number of running connections.
func (s *Service) Live() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Offer answers req's SDP offer and starts the connection. Errors are
// *session.Error (or wrap one): ENotFound, EConflict (ErrFinal, ErrClaimed,
// ErrNoAttemptsLeft), ErrExpired, EInvalid for an unusable offer and
// EUnavailable (*FullError, ErrShuttingDown).
func (s *Service) Offer(ctx context.Context, req OfferRequest) (string, error) {
	sess, err := s.get(ctx, req.SID)
	if err != nil {
		return "", err
	}
	if err := s.usable(sess, req.Browser); err != nil {
		return "", err
	}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return "", ErrShuttingDown
	}
	e := s.entries[req.SID]
	if sess.AttemptsLeft() == 0 && (e == nil || e.attempt == 0) {
		s.mu.Unlock()
		return "", session.ErrNoAttemptsLeft
	}
	live := len(s.conns) + s.reserved
	if e != nil && e.conn != nil {
		live-- // it is about to be replaced
	}
	if live >= s.cfg.MaxLive {
		s.mu.Unlock()
		s.m.refused.Inc()
		return "", &FullError{After: s.cfg.RetryAfter}
	}
	if s.heldBy(sess.Owner, e) >= s.cfg.MaxLivePerKey {
		s.mu.Unlock()
		s.m.refused.Inc()
		return "", session.Limited(session.EUnavailable, session.ReasonLiveShare,
			"this service holds its whole share of the live connections", s.cfg.RetryAfter)
	}
	s.reserve(sess.Owner, 1)
	s.mu.Unlock()
	release := func() {
		s.mu.Lock()
		s.reserve(sess.Owner, -1)
		s.mu.Unlock()
	}

	eng, err := s.cfg.Engines.NewEngine()
	if err != nil {
		release()
		return "", fmt.Errorf("live: new engine: %w", err)
	}
	c := newConn(s, sess, req, eng)
	answer, peer, err := s.cfg.API.Accept(ctx, req.SDP, c,
		capture.WithOnMessage(c.onMessage),
		capture.WithPeerLogger(c.log),
		capture.WithPeerID(req.SID),
		// A backstop: the connection's own timer sends closing first.
		capture.WithPeerTimeLimit(s.cfg.ConnectionLimit+10*time.Second))
	if err != nil {
		release()
		c.closeEngine()
		if errors.Is(err, capture.ErrBadOffer) {
			return "", &session.Error{Code: session.EInvalid, Message: offerMessage(err), Err: err}
		}
		return "", fmt.Errorf("live: accept: %w", err)
	}
	c.peer = peer

	s.mu.Lock()
	s.reserve(sess.Owner, -1)
	if s.closed {
		s.mu.Unlock()
		peer.Close(nil)
		<-peer.Done()
		c.closeEngine()
		return "", ErrShuttingDown
	}
	e = s.entries[req.SID]
	if e == nil {
		e = &entry{sid: req.SID}
		s.entries[req.SID] = e
	}
	old := e.conn
	e.conn, c.e = c, e
	if e.grace != nil && e.grace.Stop() {
		s.wg.Done() // the grace callback will not run
	}
	e.grace = nil
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	s.m.connections.Inc()
	if old != nil {
		old.stop(reasonReplaced)
		// The replaced page's progress is the open attempt's result, should
		// it end as connection_lost.
		old.mu.Lock()
		partial := old.partial
		old.mu.Unlock()
		s.mu.Lock()
		if e.attempt != 0 {
			e.lost = partial
		}
		s.mu.Unlock()
	}
	go c.run()
	return answer, nil
}

// heldBy is how many slots owner's sessions hold, connections and
// reservations, less e's connection, which an offer for e replaces. The
// caller holds s.mu.
func (s *Service) heldBy(owner string, e *entry) int {
	n := s.reservedBy[owner]
	for c := range s.conns {
		if c.owner == owner {
			n++
		}
	}
	if e != nil && e.conn != nil && e.conn.owner == owner {
		n--
	}
	return n
}

// reserve takes (d = 1) or gives back (d = -1) a slot for owner. The caller
// holds s.mu.
func (s *Service) reserve(owner string, d int) {
	s.reserved += d
	if s.reservedBy[owner] += d; s.reservedBy[owner] == 0 {
		delete(s.reservedBy, owner)
	}
}

// usable is the session check of an offer.
func (s *Service) usable(sess *session.Session, browser string) error {
	switch sess.StatusAt(s.cfg.Now()) {
	case session.StatusPending:
	case session.StatusExpired:
		return session.ErrExpired
	default:
		return session.ErrFinal
	}
	if sess.Kind == session.KindActive && len(sess.Gestures) == 0 {
		return &session.Error{Code: session.EConflict, Message: "this session takes no gestures"}
	}
	if browser == "" || sess.ClaimedBy != browser {
		return session.ErrClaimed
	}
	return nil
}

// offerMessage is the client-safe text of a capture offer error.
func offerMessage(err error) string {
	for _, e := range []error{capture.ErrOfferTooLarge, capture.ErrNoVideo, capture.ErrUnsupportedCodec} {
		if errors.Is(err, e) {
			return strings.TrimPrefix(e.Error(), "capture: ")
		}
	}
	return "malformed SDP offer"
}

// Hangup ends the live connection of sid held by browser (DELETE of the
// offer). An attempt in progress is treated as a dropped connection. It
// returns session.ErrClaimed when browser is not the session's claimant
// and nil when there is no connection.
func (s *Service) Hangup(ctx context.Context, sid, browser string) error {
	sess, err := s.get(ctx, sid)
	if err != nil {
		return err
	}
	if browser == "" || sess.ClaimedBy != browser {
		return session.ErrClaimed
	}
	s.mu.Lock()
	var c *conn
	if e := s.entries[sid]; e != nil {
		c = e.conn
	}
	s.mu.Unlock()
	if c != nil {
		c.stop(reasonHangup)
	}
	return nil
}

// Shutdown sends closing/shutdown to every connection, hands back the
// attempts in progress (Session.RefundAttempt) and waits, until ctx ends,
// for every connection to be released. Offers are refused from the start.
// When ctx ends first, the store calls still running are canceled.
func (s *Service) Shutdown(ctx context.Context) error {
	// Once ctx ends, so do the store calls of the Service; the hand-backs
	// get until then.
	stop := context.AfterFunc(ctx, s.cancel)
	defer stop()
	s.mu.Lock()
	s.closed = true
	var conns []*conn
	var orphans []*entry
	for _, e := range s.entries {
		if e.conn != nil {
			conns = append(conns, e.conn)
			continue
		}
		if e.attempt != 0 && e.grace != nil && e.grace.Stop() {
			orphans = append(orphans, e)
		}
	}
	for c := range s.conns {
		if c.e == nil || c.e.conn != c {
			conns = append(conns, c) // replaced, still closing
		}
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.stop(reasonShutdown)
	}
	for _, e := range orphans {
		s.mu.Lock()
		n := e.attempt
		e.attempt, e.grace = 0, nil
		delete(s.entries, e.sid)
		s.mu.Unlock()
		s.handBack(ctx, e.sid, n)
		s.wg.Done()
	}
	// The waiter outlives a Shutdown that gave up only until the last
	// connection is released, which the canceled store calls hasten.
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		s.cancel() // nothing runs any more
		return nil
	case <-ctx.Done():
		s.cancel()
		return fmt.Errorf("live: shutdown: %w", ctx.Err())
	}
}

// connEnded is called by a connection's control goroutine once its peer is
// released. An attempt still open waits Grace for a new connection.
func (s *Service) connEnded(c *conn) {
	st := c.peer.Stats()
	s.mu.Lock()
	delete(s.conns, c)
	s.ended.FramesReceived += st.FramesReceived
	s.ended.FramesDecoded += st.FramesDecoded
	s.ended.FramesAnalysed += st.FramesAnalysed
	s.ended.FramesDropped += st.FramesDropped
	s.ended.FramesRateLimited += st.FramesRateLimited
	s.ended.FramesSkipped += st.FramesSkipped
	s.ended.DecodeErrors += st.DecodeErrors
	e := c.e
	handBack := 0
	if e != nil && e.conn == c {
		e.conn = nil
		switch {
		case e.attempt == 0:
			delete(s.entries, e.sid)
		case s.closed:
			// The connection ended on its own while the server shuts
			// down: its attempt is handed back here.
			handBack, e.attempt = e.attempt, 0
			delete(s.entries, e.sid)
		default:
			n := e.attempt
			e.lost = c.partial
			s.wg.Add(1)
			e.grace = s.cfg.AfterFunc(s.cfg.Grace, func() { s.graceOver(e, n) })
		}
	}
	s.mu.Unlock()
	s.m.connections.Dec()
	if handBack != 0 {
		s.handBack(s.ctx, e.sid, handBack)
	}
}

// graceOver ends attempt n of e as connection_lost unless a connection
// came back for it.
func (s *Service) graceOver(e *entry, n int) {
	defer s.wg.Done()
	s.mu.Lock()
	if e.conn != nil || e.attempt != n || s.entries[e.sid] != e {
		s.mu.Unlock()
		return
	}
	e.attempt, e.grace, e.engaged, e.resumes = 0, nil, false, 0
	delete(s.entries, e.sid)
	lost, ev := e.lost, e.evidence.evidence()
	s.mu.Unlock()

	ctx := s.ctx
	s.m.attempts.WithLabelValues(outcomeConnectionLost).Inc()
	s.audit(ctx, e.sid, session.AuditEntry{Attempt: n, Event: "attempt_ended", Outcome: outcomeConnectionLost})
	s.log.Info("live: attempt ended: connection lost", "sid", e.sid, "attempt", n)
	sess, err := s.get(ctx, e.sid)
	if err != nil || sess.StatusAt(s.cfg.Now()) != session.StatusPending || sess.AttemptsLeft() > 0 {
		return
	}
	// The last attempt is gone and no page can start another: the session
	// ends as failed, or it would stay PENDING until it expires.
	lost.Status = session.GestureNotMatch
	if _, err := s.finish(ctx, e.sid, lost, ev, nil, sess.ExpiresAt); err != nil {
		s.log.Warn("live: finish after the last attempt was lost", "sid", e.sid, "err", err)
	}
}
