package session

import (
	"errors"
	"fmt"
	"time"
)

// Error codes. internal/httpx maps each to one HTTP status in one table,
// used by the API and the pages' signalling alike.
const (
	EInvalid      = "invalid"      // bad input (400)
	EUnauthorized = "unauthorized" // no or bad credentials (401)
	EForbidden    = "forbidden"    // a signed link that is tampered with or expired (403)
	ENotFound     = "not_found"    // unknown session, or another key's (404)
	EConflict     = "conflict"     // the session is in a state that forbids the change (409)
	ETooLarge     = "too_large"    // body or file over its limit (413)
	ERateLimited  = "rate_limited" // too many requests (429)
	EUnavailable  = "unavailable"  // a dependency is down or a cap is reached (503)
	EInternal     = "internal"     // anything else (500)
)

// Error is livegate's error type: a code for machines and a message that is
// safe to show the client. Internal details belong in a wrapped error, which
// is logged but never shown.
type Error struct {
	Code    string
	Message string
	Err     error // optional cause, for logs only
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Sentinel errors that stores and transitions return; test with errors.Is.
var (
	ErrNotFound = &Error{Code: ENotFound, Message: "session not found"}
	// ErrFinal is returned for any change to a session that has left PENDING.
	ErrFinal = &Error{Code: EConflict, Message: "session is no longer pending"}
	// ErrExpired is returned for a change to a session past its expiry.
	ErrExpired = &Error{Code: EConflict, Message: "session has expired"}
	// ErrClaimed is returned when another browser already holds the session.
	ErrClaimed = &Error{Code: EConflict, Message: "session is in use on another device"}
	// ErrNoAttemptsLeft is returned when every attempt has been used.
	ErrNoAttemptsLeft = &Error{Code: EConflict, Message: "no attempts left"}
	// ErrExists is returned by Create for an id that is already stored.
	ErrExists = &Error{Code: EConflict, Message: "session id already exists"}
)

// ErrorCode returns the code of the first *Error in err's chain, or EInternal.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the client-safe message of err: the message of the
// first *Error in its chain, or "internal server error".
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal server error"
}

// Reasons of LimitErrors: the error_code the API adds to their error body,
// so that an integrator can tell a lockout from other refusals.
const (
	// ReasonDeviceLocked: the device_correlation_id has failed too many
	// liveness attempts lately.
	ReasonDeviceLocked = "device_locked"
	// ReasonIPLocked: the client's address has failed too many liveness
	// attempts lately.
	ReasonIPLocked = "ip_locked"
	// ReasonAuthLocked: the client's address has sent too many bad API keys.
	ReasonAuthLocked = "auth_locked"
	// ReasonRateLimited: too many requests of one kind from one key or address.
	ReasonRateLimited = "rate_limited"
	// ReasonLiveShare: the key holds its whole share of the live slots.
	ReasonLiveShare = "live_share_full"
)

// LimitError is a refusal by a rate limit or a lockout: ERateLimited (429)
// or EUnavailable (503), with when to retry and a Reason for machines.
type LimitError struct {
	Code    string // ERateLimited or EUnavailable
	Reason  string // one of the Reason… constants
	Message string // safe to show; says when to retry
	After   time.Duration
}

// Limited returns a LimitError with code and reason whose message is what,
// followed by when to retry in whole seconds.
func Limited(code, reason, what string, after time.Duration) *LimitError {
	s := max(1, int((after+time.Second-1)/time.Second))
	return &LimitError{Code: code, Reason: reason, Message: fmt.Sprintf("%s; retry after %d s", what, s), After: after}
}

func (e *LimitError) Error() string { return e.Message }

// RetryAfter is how long the client should wait.
func (e *LimitError) RetryAfter() time.Duration { return e.After }

// ErrorReason is the error_code the API sends.
func (e *LimitError) ErrorReason() string { return e.Reason }

// Unwrap gives the *Error with the LimitError's code and message.
func (e *LimitError) Unwrap() error { return &Error{Code: e.Code, Message: e.Message} }
