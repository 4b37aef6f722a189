package redisstore

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/livegate/livegate/internal/session"
)

// OutageRetryAfter is what a caller is told to wait when Redis cannot be
// reached: about as long as a restart of a Redis that loads its data.
const OutageRetryAfter = 5 * time.Second

// outageError is a store outage as the domain sees it: unavailable (503),
// with a client-safe message and a Retry-After, the cause kept for logs.
type outageError struct{ err *session.Error }

func (e outageError) Error() string             { return e.err.Error() }
func (e outageError) Unwrap() error             { return e.err }
func (e outageError) RetryAfter() time.Duration { return OutageRetryAfter }

// unavailable returns err marked as a store outage when it says Redis
// cannot be reached or cannot serve now (refused, reset, timed out,
// closed, loading its data, a read-only replica, out of clients), else err
// itself. Everything else (missing keys, conflicts, decoding, a request
// whose client went away) keeps its meaning.
func unavailable(err error) error {
	if err == nil || !isOutage(err) {
		return err
	}
	return outageError{err: &session.Error{Code: session.EUnavailable, Message: "session store unavailable, try again shortly", Err: err}}
}

func isOutage(err error) bool {
	if errors.Is(err, redis.Nil) || errors.Is(err, redis.TxFailedErr) || errors.Is(err, context.Canceled) {
		return false
	}
	var netErr net.Error
	switch {
	case errors.As(err, &netErr),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, redis.ErrClosed), errors.Is(err, redis.ErrPoolTimeout),
		errors.Is(err, context.DeadlineExceeded):
		return true
	}
	return redis.IsLoadingError(err) || redis.IsReadOnlyError(err) || redis.IsMasterDownError(err) ||
		redis.IsTryAgainError(err) || redis.IsClusterDownError(err) || redis.IsMaxClientsError(err)
}
