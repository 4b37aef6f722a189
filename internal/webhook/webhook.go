// Package webhook tells an integrator that a session has ended: a POST of the
// session's JSON to its webhook_url, signed with HMAC-SHA256, retried with
// exponential backoff and jitter for at least a day, at least once.
//
// The shape follows internal/session: this package holds the types, the
// Queue interface, the signing, the SSRF guard and the Dispatcher that
// delivers; memqueue and redisqueue implement the Queue, and webhooktest
// holds the contract both pass.
//
// Each session with a webhook_url has exactly one job, keyed by its id. It
// is queued when the session is created, due at its expiry (that is how an
// expiry, which no request causes, is noticed), and brought forward to "now"
// when the session finishes or is canceled (NotifyStore, the store wrapper
// every transition passes through). A session ends once, so one job carries
// one delivery: its first claim after the end fixes the event, the body and
// the delivery id; retries send the same body with a fresh signature.
package webhook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"time"

	"github.com/livegate/livegate/internal/session"
)

// The events, sent in the Livegate-Event header.
const (
	EventFinished = "session.finished"
	EventCanceled = "session.canceled"
	EventExpired  = "session.expired"
)

// The headers of a delivery.
const (
	HeaderSignature = "Livegate-Signature"
	HeaderEvent     = "Livegate-Event"
	HeaderDelivery  = "Livegate-Delivery"
)

// EventFor names the event of a session that has ended with status st, or
// "" for a status that is not an end.
func EventFor(st session.Status) string {
	switch st {
	case session.StatusFinished:
		return EventFinished
	case session.StatusCanceled:
		return EventCanceled
	case session.StatusExpired:
		return EventExpired
	}
	return ""
}

// Job is one session's webhook, as a Queue hands it out.
type Job struct {
	// SID is the session's id, the job's key.
	SID string
	// Lease is the token of the claim that returned the job: Retry and Done
	// need it, so that a worker whose lease ran out (and whose job another
	// worker claimed since) cannot overwrite the newer state.
	Lease string
	// Delivery is nil until the session has ended and the first attempt is
	// made.
	Delivery *Delivery
}

// Delivery is what a job sends and how it has fared so far.
type Delivery struct {
	ID       string    `json:"id"`    // Livegate-Delivery: the receiver's idempotency key
	Event    string    `json:"event"` // Livegate-Event
	URL      string    `json:"url"`
	Owner    string    `json:"owner"` // the API key's id, which picks the secret
	Body     []byte    `json:"body"`
	First    time.Time `json:"first"`    // time of the first attempt
	Attempts int       `json:"attempts"` // attempts made, all failed
	// LastError is the last attempt's failure, for operators reading the
	// queue; it never holds the response body.
	LastError string `json:"last_error,omitempty"`
}

// ErrLeaseLost is returned by Queue.Retry and Queue.Done when the job's
// lease has passed to another claim (or the job is gone).
var ErrLeaseLost = errors.New("webhook: lease lost")

// Queue keeps the jobs. Implementations must make Claim atomic: of any
// number of workers, in one process or many, exactly one gets each due job,
// and no other sees it until its lease runs out.
type Queue interface {
	// Add queues a job for session sid due at due, unless one is queued
	// already.
	Add(ctx context.Context, sid string, due time.Time) error
	// Wake makes job sid due at due at the latest, queueing it if absent; a
	// job already due sooner keeps its time.
	Wake(ctx context.Context, sid string, due time.Time) error
	// Claim takes the job due soonest at or before now and leases it until
	// now+lease. ok is false when no job is due.
	Claim(ctx context.Context, now time.Time, lease time.Duration) (j Job, ok bool, err error)
	// Retry stores j's Delivery and makes it due at due, ending the lease.
	Retry(ctx context.Context, j Job, due time.Time) error
	// Done removes j.
	Done(ctx context.Context, j Job) error
	// Len is the number of jobs queued, leased ones included.
	Len(ctx context.Context) (int, error)
}

// NewToken returns a random token (128 bits, hex) for delivery ids and
// leases.
func NewToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return hex.EncodeToString(b[:])
}
