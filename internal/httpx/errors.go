package httpx

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/livegate/livegate/internal/session"
)

// ErrorBody is GLAIR's error format, which every livegate JSON endpoint
// answers errors in: the REST API and the pages' signalling requests.
type ErrorBody struct {
	Status       string `json:"status"`
	ErrorMessage string `json:"error_message"`
	// ErrorCode is livegate's addition for refusals by a limit or a
	// lockout (session.LimitError's Reason); absent otherwise.
	ErrorCode string `json:"error_code,omitempty"`
}

// statusOf is the one table from domain error codes (internal/session's
// Error codes) to HTTP statuses, for the REST API and the pages'
// signalling alike. GLAIR's clients decide the API's rows (400, 401, 404,
// 413, 429, 500; docs: product "Errors"); the rest follow HTTP's meaning.
var statusOf = map[string]int{
	session.EInvalid:      http.StatusBadRequest,
	session.EUnauthorized: http.StatusUnauthorized,
	session.EForbidden:    http.StatusForbidden,
	session.ENotFound:     http.StatusNotFound,
	session.EConflict:     http.StatusConflict,
	session.ETooLarge:     http.StatusRequestEntityTooLarge,
	session.ERateLimited:  http.StatusTooManyRequests,
	session.EUnavailable:  http.StatusServiceUnavailable,
	session.EInternal:     http.StatusInternalServerError,
}

// Status returns the HTTP status of err: the row of its code
// (session.ErrorCode, so 500 for an error without one). The one refinement:
// an expired session, a conflict in the domain, is 410 Gone, which tells
// the capture page to end on its expired screen rather than reload
// (docs/protocol.md); the API never refuses a request for expiry alone.
func Status(err error) int {
	if errors.Is(err, session.ErrExpired) {
		return http.StatusGone
	}
	if status, ok := statusOf[session.ErrorCode(err)]; ok {
		return status
	}
	return http.StatusInternalServerError
}

// WriteDomainError answers err with Status(err) in GLAIR's error format,
// with the client-safe message (session.ErrorMessage) and never the cause,
// and Retry-After when the error says when (SetRetryAfter). It returns the
// status, for the caller's log.
func WriteDomainError(w http.ResponseWriter, err error) int {
	status := Status(err)
	SetRetryAfter(w, err)
	body := ErrorBody{Status: "failed", ErrorMessage: session.ErrorMessage(err)}
	var le interface{ ErrorReason() string }
	if errors.As(err, &le) {
		body.ErrorCode = le.ErrorReason()
	}
	b, _ := json.Marshal(body) // strings cannot fail
	WriteJSONBytes(w, status, b)
	return status
}

// SetRetryAfter sets Retry-After, in whole seconds and at least 1, when
// err (or an error it wraps) has a RetryAfter() time.Duration method: a
// live capture at its cap, a store that cannot be reached. It reports
// whether it did.
func SetRetryAfter(w http.ResponseWriter, err error) bool {
	var ra interface{ RetryAfter() time.Duration }
	if !errors.As(err, &ra) {
		return false
	}
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int((ra.RetryAfter()+time.Second-1)/time.Second))))
	return true
}

// WriteError answers status with {"status":"failed","error_message":msg}.
func WriteError(w http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(ErrorBody{Status: "failed", ErrorMessage: msg}) // two strings cannot fail
	WriteJSONBytes(w, status, b)
}

// WriteJSONBytes answers status with the JSON document b, not cached and
// not sniffed.
func WriteJSONBytes(w http.ResponseWriter, status int, b []byte) {
	hd := w.Header()
	hd.Set("Content-Type", "application/json; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
