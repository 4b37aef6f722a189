package session

import (
	"errors"
	"fmt"
)

// Error codes. internal/httpx maps each to one HTTP status in one table,
// used by the API and the pages' signalling alike.
const (
	EInvalid      = "invalid"      // bad input (400)
	EUnauthorized = "unauthorized" // no or bad credentials (401)
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
