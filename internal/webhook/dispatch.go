package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/livegate/livegate/internal/session"
)

// Defaults of Config.
const (
	DefaultTimeout    = 10 * time.Second
	DefaultBackoff    = 30 * time.Second
	DefaultMaxBackoff = time.Hour
	DefaultWindow     = 24 * time.Hour
	DefaultPoll       = time.Second
	DefaultWorkers    = 4
)

// Outcomes of an attempt, as Config.Observe hears them.
const (
	OutcomeDelivered = "delivered" // the receiver answered 2xx
	OutcomeRetry     = "retry"     // failed; another attempt is scheduled
	OutcomeFailed    = "failed"    // failed, and the retry window is over: given up
	OutcomeRefused   = "refused"   // the target resolves to a refused address: given up
)

// Sessions is what the Dispatcher needs of the session store.
type Sessions interface {
	Get(ctx context.Context, id string) (*session.Session, error)
	AppendAudit(ctx context.Context, id string, e session.AuditEntry) error
}

// Config configures a Dispatcher. Queue, Sessions, Render and Guard are
// required.
type Config struct {
	Queue    Queue
	Sessions Sessions
	// Render is the body of a session's delivery: the API's JSON of the
	// session, the same as GET of it.
	Render func(s *session.Session, now time.Time) ([]byte, error)
	// Secrets sign the deliveries; a delivery whose owner has none fails
	// its attempt (and is retried, in case the operator adds one).
	Secrets *Secrets
	Guard   *Guard
	Now     func() time.Time
	Logger  *slog.Logger
	// Timeout bounds one attempt (default DefaultTimeout).
	Timeout time.Duration
	// Backoff is the wait before the first retry; it doubles with each
	// failure up to MaxBackoff, and each wait is jittered to between half
	// and all of it (defaults DefaultBackoff, DefaultMaxBackoff).
	Backoff, MaxBackoff time.Duration
	// Window is how long after the first attempt retries go on: a failure
	// at least Window after it gives up (default DefaultWindow).
	Window time.Duration
	// Poll is how often Run looks for due jobs (default DefaultPoll).
	Poll time.Duration
	// Workers is how many attempts Run makes at once (default
	// DefaultWorkers), so that one slow receiver does not hold up the rest.
	Workers int
	// Observe, when set, hears the outcome of every attempt (metrics).
	Observe func(outcome string)
}

// Dispatcher delivers due jobs. Any number of Dispatchers may share a Queue.
type Dispatcher struct {
	cfg    Config
	client *http.Client
}

// NewDispatcher checks cfg and fills in its defaults.
func NewDispatcher(cfg Config) (*Dispatcher, error) {
	if cfg.Queue == nil || cfg.Sessions == nil || cfg.Render == nil || cfg.Guard == nil {
		return nil, errors.New("webhook: Queue, Sessions, Render and Guard are required")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.Timeout, DefaultTimeout)
	def(&cfg.Backoff, DefaultBackoff)
	def(&cfg.MaxBackoff, DefaultMaxBackoff)
	def(&cfg.Window, DefaultWindow)
	def(&cfg.Poll, DefaultPoll)
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Observe == nil {
		cfg.Observe = func(string) {}
	}
	return &Dispatcher{cfg: cfg, client: cfg.Guard.Client(cfg.Timeout)}, nil
}

// lease is how long a claimed job stays hidden from other workers: longer
// than an attempt can take, so that only a worker that died gives its job
// up to another.
func (d *Dispatcher) lease() time.Duration { return d.cfg.Timeout + 30*time.Second }

// Run delivers due jobs with Workers workers, each looking every Poll,
// until ctx is done; it returns once every worker has stopped.
func (d *Dispatcher) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range d.cfg.Workers {
		wg.Go(func() { d.work(ctx) })
	}
	wg.Wait()
}

func (d *Dispatcher) work(ctx context.Context) {
	t := time.NewTicker(d.cfg.Poll)
	defer t.Stop()
	for {
		if _, err := d.Process(ctx); err != nil && ctx.Err() == nil {
			d.cfg.Logger.WarnContext(ctx, "webhook: queue", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Process handles every job due now, one after the other, and returns how
// many it handled. Run calls it; tests call it with a controlled clock.
func (d *Dispatcher) Process(ctx context.Context) (int, error) {
	n := 0
	for ctx.Err() == nil {
		j, ok, err := d.cfg.Queue.Claim(ctx, d.cfg.Now(), d.lease())
		if err != nil || !ok {
			return n, err
		}
		n++
		if err := d.handle(ctx, j); err != nil {
			d.cfg.Logger.WarnContext(ctx, "webhook: job", "sid", j.SID, "err", err)
		}
	}
	return n, nil
}

// handle makes one attempt of j, or settles a job whose session has not
// ended or is gone.
func (d *Dispatcher) handle(ctx context.Context, j Job) error {
	q := d.cfg.Queue
	now := d.cfg.Now()
	if j.Delivery == nil {
		s, err := d.cfg.Sessions.Get(ctx, j.SID)
		switch {
		case errors.Is(err, session.ErrNotFound):
			return q.Done(ctx, j)
		case err != nil:
			// The store is down: look again after the first backoff.
			return errors.Join(err, q.Retry(ctx, j, now.Add(d.cfg.Backoff)))
		case s.WebhookURL == "":
			return q.Done(ctx, j)
		}
		st := s.StatusAt(now)
		event := EventFor(st)
		if event == "" {
			// Not ended: watch for the expiry again.
			return q.Retry(ctx, j, s.ExpiresAt)
		}
		if st == session.StatusExpired {
			s.Expire(now)
		}
		body, err := d.cfg.Render(s, now)
		if err != nil {
			return errors.Join(fmt.Errorf("render %s: %w", j.SID, err), q.Done(ctx, j))
		}
		j.Delivery = &Delivery{ID: NewToken(), Event: event, URL: s.WebhookURL, Owner: s.Owner, Body: body, First: now}
	}
	dl := j.Delivery
	status, err := d.attempt(ctx, dl, now)
	if ctx.Err() != nil {
		// Shutting down: the lease runs out and the job is claimed again.
		return ctx.Err()
	}
	log := d.cfg.Logger.With("sid", j.SID, "delivery", dl.ID, "event", dl.Event, "attempt", dl.Attempts+1)
	if err == nil {
		d.cfg.Observe(OutcomeDelivered)
		log.InfoContext(ctx, "webhook delivered", "status", status)
		d.audit(ctx, j.SID, session.AuditEntry{Time: now, Attempt: dl.Attempts + 1, Event: "webhook_delivered", Outcome: strconv.Itoa(status)})
		return q.Done(ctx, j)
	}
	dl.Attempts++
	dl.LastError = err.Error()
	if errors.Is(err, ErrRefused) || now.Sub(dl.First) >= d.cfg.Window {
		outcome := OutcomeFailed
		if errors.Is(err, ErrRefused) {
			outcome = OutcomeRefused
		}
		d.cfg.Observe(outcome)
		log.WarnContext(ctx, "webhook given up", "err", err, "outcome", outcome)
		d.audit(ctx, j.SID, session.AuditEntry{Time: now, Attempt: dl.Attempts, Event: "webhook_failed", Outcome: outcome})
		return q.Done(ctx, j)
	}
	d.cfg.Observe(OutcomeRetry)
	wait := d.backoff(dl.Attempts)
	log.InfoContext(ctx, "webhook attempt failed", "err", err, "retry_in", wait)
	return q.Retry(ctx, j, now.Add(wait))
}

// backoff is the jittered wait after the n-th failure (n ≥ 1): Backoff ×
// 2^(n−1), capped at MaxBackoff, then a uniform draw from its upper half, so
// that deliveries failing together spread out.
func (d *Dispatcher) backoff(n int) time.Duration {
	w := d.cfg.MaxBackoff
	if n-1 < 40 {
		w = min(d.cfg.Backoff<<(n-1), d.cfg.MaxBackoff)
	}
	if w <= 1 {
		return w
	}
	return w/2 + rand.N(w/2+1)
}

// attempt POSTs dl once and returns the receiver's status, or why the
// attempt failed.
func (d *Dispatcher) attempt(ctx context.Context, dl *Delivery, now time.Time) (int, error) {
	secrets := d.cfg.Secrets.For(dl.Owner)
	if len(secrets) == 0 {
		return 0, errors.New("no webhook secret is configured for the session's API key")
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, dl.URL, bytes.NewReader(dl.Body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "livegate-webhook/1")
	req.Header.Set(HeaderSignature, Sign(secrets, now, dl.Body))
	req.Header.Set(HeaderEvent, dl.Event)
	req.Header.Set(HeaderDelivery, dl.ID)
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, err
	}
	// Read a little, for connection reuse; never more.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxResponseBytes))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("receiver answered %d", resp.StatusCode)
	}
	return resp.StatusCode, nil
}

// audit records a delivery's fate in the session's trail; a session already
// gone (past its retention) has no trail to record in.
func (d *Dispatcher) audit(ctx context.Context, sid string, e session.AuditEntry) {
	if err := d.cfg.Sessions.AppendAudit(ctx, sid, e); err != nil && !errors.Is(err, session.ErrNotFound) {
		d.cfg.Logger.WarnContext(ctx, "webhook: append audit", "sid", sid, "err", err)
	}
}
