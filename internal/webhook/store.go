package webhook

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/livegate/livegate/internal/session"
)

// NotifyStore wraps a session.Store and queues the webhook of every session
// that has one: when it is created (due at its expiry) and when a status
// change ends it (due at once). Every transition passes through
// Store.Update, so the API's cancel, the pages' cancel, the live capture's
// finish and a biometric deletion cannot forget to.
type NotifyStore struct {
	session.Store
	queue Queue
	now   func() time.Time
	log   *slog.Logger
}

// Notify returns s wrapped so that it queues webhooks on q.
func Notify(s session.Store, q Queue, now func() time.Time, log *slog.Logger) *NotifyStore {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &NotifyStore{Store: s, queue: q, now: now, log: log}
}

// Create queues the session's job, due at its expiry, before storing the
// session: a job whose session was never stored finds nothing and is
// dropped, while a session stored without its job would never be
// announced.
func (n *NotifyStore) Create(ctx context.Context, s *session.Session) error {
	if s != nil && s.WebhookURL != "" {
		if err := n.queue.Add(ctx, s.ID, s.ExpiresAt); err != nil {
			return &session.Error{Code: session.EUnavailable, Message: "webhook queue unavailable",
				Err: fmt.Errorf("webhook: queue %s: %w", s.ID, err)}
		}
	}
	return n.Store.Create(ctx, s)
}

// Update brings the job forward when fn ended the session. Should that
// fail, the job still comes due at the session's expiry and delivers then:
// late, never lost.
func (n *NotifyStore) Update(ctx context.Context, id string, fn func(*session.Session) error) (*session.Session, error) {
	var before session.Status
	s, err := n.Store.Update(ctx, id, func(s *session.Session) error {
		before = s.Status // the store may call fn again on a retry
		return fn(s)
	})
	if err == nil && s.WebhookURL != "" && before == session.StatusPending && EventFor(s.Status) != "" {
		if werr := n.queue.Wake(ctx, id, n.now()); werr != nil {
			n.log.WarnContext(ctx, "webhook: wake job; it is delivered at the session's expiry instead", "sid", id, "err", werr)
		}
	}
	return s, err
}
