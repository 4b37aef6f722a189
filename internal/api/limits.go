package api

import (
	"context"
	"fmt"
	"net/http"

	"github.com/livegate/livegate/internal/session"
)

// Limits are the API's defences against abuse (the README's "Security").
// Every nil field is no limit; the server sets them all, in memory or in
// Redis, so that every instance shares them.
type Limits struct {
	// ClientIP is the client's address (httpx.TrustedProxies.ClientIP);
	// nil takes the connection's peer.
	ClientIP func(*http.Request) string
	// Auth counts requests with a missing or wrong API key per client
	// address. While an address is locked, every request from it is
	// refused with 429 before its key is looked at, a right key
	// included: otherwise the lock would still tell a right key from a
	// wrong one.
	Auth session.Lockout
	// Attempts counts failed liveness attempts per device and per client
	// address (session.DeviceLockoutKey, IPLockoutKey); a session cannot
	// be created for a locked device_correlation_id.
	Attempts session.Lockout
	// Checks bounds the single-image checks (active-liveness,
	// passive-liveness, match) per key and per client address, one bucket
	// each.
	Checks session.RateLimiter
}

// authLocked refuses a request from a client address that sent too many
// bad keys; it reports whether it answered.
func (h *Handler) authLocked(w http.ResponseWriter, r *http.Request) bool {
	if h.limits.Auth == nil {
		return false
	}
	left, err := h.limits.Auth.Locked(r.Context(), "auth:"+h.clientIP(r))
	if err != nil {
		writeError(w, r, h.log, &session.Error{Code: session.EUnavailable, Message: "rate limiter unavailable", Err: err})
		return true
	}
	if left > 0 {
		writeError(w, r, h.log, session.Limited(session.ERateLimited, session.ReasonAuthLocked, "too many requests with a wrong API key from this address", left))
		return true
	}
	return false
}

// authFailed counts a bad key. The 401 is answered either way: the request
// that reaches the limit is refused as the wrong key it carries.
func (h *Handler) authFailed(r *http.Request) {
	if h.limits.Auth == nil {
		return
	}
	if _, err := h.limits.Auth.Fail(r.Context(), "auth:"+h.clientIP(r)); err != nil {
		h.log.WarnContext(r.Context(), "api: count a wrong API key", "err", err)
	}
}

// deviceLocked returns a LimitError when the device of a session about to
// be created has failed too many attempts lately.
func (h *Handler) deviceLocked(ctx context.Context, owner, device string) error {
	if h.limits.Attempts == nil || device == "" {
		return nil
	}
	left, err := h.limits.Attempts.Locked(ctx, session.DeviceLockoutKey(owner, device))
	if err != nil {
		return &session.Error{Code: session.EUnavailable, Message: "rate limiter unavailable", Err: err}
	}
	if left > 0 {
		return session.Limited(session.ERateLimited, session.ReasonDeviceLocked, "too many failed liveness attempts for this device_correlation_id", left)
	}
	return nil
}

// limitChecks takes a token from the client address's and the key's
// buckets of single-image checks before next runs; the address first, so
// that one address's refused checks cost its key nothing.
func (h *Handler) limitChecks(next func(w http.ResponseWriter, r *http.Request, owner string)) func(w http.ResponseWriter, r *http.Request, owner string) {
	if h.limits.Checks == nil {
		return next
	}
	return func(w http.ResponseWriter, r *http.Request, owner string) {
		for _, k := range []struct{ bucket, what string }{
			{"check:ip:" + h.clientIP(r), "too many image checks from this address"},
			{"check:key:" + owner, "too many image checks with this API key"},
		} {
			ok, retry, err := h.limits.Checks.Allow(r.Context(), k.bucket)
			if err != nil {
				writeError(w, r, h.log, &session.Error{Code: session.EUnavailable, Message: "rate limiter unavailable", Err: fmt.Errorf("%s: %w", k.bucket, err)})
				return
			}
			if !ok {
				writeError(w, r, h.log, session.Limited(session.ERateLimited, session.ReasonRateLimited, k.what, retry))
				return
			}
		}
		next(w, r, owner)
	}
}

func (h *Handler) clientIP(r *http.Request) string {
	if h.limits.ClientIP != nil {
		return h.limits.ClientIP(r)
	}
	return peerIP(r)
}
