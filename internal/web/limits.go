package web

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/livegate/livegate/internal/httpx"
	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/web/i18n"
	"github.com/livegate/livegate/web/templates"
)

// Limits are the pages' defences against abuse (the README's "Security").
type Limits struct {
	// Attempts is the lockout of failed liveness attempts, per device
	// (session.DeviceLockoutKey) and per client address (IPLockoutKey):
	// while either is locked, the page shows "too many attempts" and
	// offers are refused. Failures are counted where the attempts end.
	Attempts session.Lockout
	// OffersPerKey and OffersPerIP bound POST /s/{sid}/offer per API key
	// (the session's owner) and per client address.
	OffersPerKey, OffersPerIP session.RateLimiter
	// PagesPerIP bounds the page GETs (GET and HEAD of /s/{sid}, its
	// capture step and any other /s/ path; not the static assets) per
	// client address: past it the page answers "too many requests" (429
	// with Retry-After) in the page's own format, before any store read.
	PagesPerIP session.RateLimiter
}

// limitPages wraps a page GET with the PagesPerIP bucket.
func (h *Handler) limitPages(next http.HandlerFunc) http.HandlerFunc {
	if h.limits.PagesPerIP == nil {
		return next
	}
	return func(w http.ResponseWriter, r *http.Request) {
		ok, retry, err := h.limits.PagesPerIP.Allow(r.Context(), "page:ip:"+h.clientIP(r))
		switch {
		case err != nil:
			msg := h.catalogues.Choose("", r.Header.Get("Accept-Language"))
			h.unavailable(w, r, msg, r.PathValue("sid"), &session.Error{Code: session.EUnavailable, Message: "rate limiter unavailable", Err: err})
		case !ok:
			msg := h.catalogues.Choose("", r.Header.Get("Accept-Language"))
			lim := session.Limited(session.ERateLimited, session.ReasonRateLimited, "too many page requests from this address", max(retry, time.Millisecond))
			h.log.InfoContext(r.Context(), "web: page refused", "path", r.URL.Path, "err", lim)
			httpx.SetRetryAfter(w, lim)
			w.Header().Set("Cache-Control", "no-store")
			h.message(w, r, http.StatusTooManyRequests, msg, h.csp(nil), templates.MessageView{
				TestID: "screen-slow-down", Icon: "icon-clock", Title: msg.SlowDownTitle, Body: msg.SlowDownBody,
			})
		default:
			next(w, r)
		}
	}
}

// lock returns the LimitError of a session whose device or client address
// is locked, nil when neither is.
func (h *Handler) lock(ctx context.Context, r *http.Request, s *session.Session) error {
	if h.limits.Attempts == nil {
		return nil
	}
	checks := []struct{ key, reason, what string }{
		{session.IPLockoutKey(h.clientIP(r)), session.ReasonIPLocked, "too many failed liveness attempts from this address"},
	}
	if s.DeviceCorrelationID != "" {
		checks = append(checks, struct{ key, reason, what string }{
			session.DeviceLockoutKey(s.Owner, s.DeviceCorrelationID), session.ReasonDeviceLocked, "too many failed liveness attempts on this device"})
	}
	var worst *session.LimitError
	for _, c := range checks {
		left, err := h.limits.Attempts.Locked(ctx, c.key)
		if err != nil {
			return &session.Error{Code: session.EUnavailable, Message: "rate limiter unavailable", Err: err}
		}
		if left > 0 && (worst == nil || left > worst.After) {
			worst = session.Limited(session.ERateLimited, c.reason, c.what, left)
		}
	}
	if worst == nil {
		return nil
	}
	return worst
}

// lockedScreen renders "too many attempts" (429, with Retry-After) when the
// session's device or the client's address is locked, and reports whether
// it did.
func (h *Handler) lockedScreen(w http.ResponseWriter, r *http.Request, s *session.Session, msg *i18n.Messages) bool {
	err := h.lock(r.Context(), r, s)
	if err == nil {
		return false
	}
	if httpx.Status(err) != http.StatusTooManyRequests {
		h.storeError(w, r, msg, s.ID, err)
		return true
	}
	h.log.InfoContext(r.Context(), "web: page refused", "sid", s.ID, "err", err)
	httpx.SetRetryAfter(w, err)
	h.message(w, r, http.StatusTooManyRequests, msg, h.csp(nil), templates.MessageView{
		TestID: "screen-locked", Icon: "icon-clock", Title: msg.LockedTitle, Body: msg.LockedBody,
	})
	return true
}

// limitOffer refuses an offer whose device or address is locked or whose
// address or key has made too many offers lately. The address is asked
// first, so that one address's refused offers cost its key nothing.
func (h *Handler) limitOffer(ctx context.Context, r *http.Request, s *session.Session) error {
	if err := h.lock(ctx, r, s); err != nil {
		return err
	}
	for _, l := range []struct {
		lim       session.RateLimiter
		key, what string
	}{
		{h.limits.OffersPerIP, "offer:ip:" + h.clientIP(r), "too many connections from this address"},
		{h.limits.OffersPerKey, "offer:key:" + s.Owner, "too many connections for this service"},
	} {
		if l.lim == nil {
			continue
		}
		ok, retry, err := l.lim.Allow(ctx, l.key)
		if err != nil {
			return &session.Error{Code: session.EUnavailable, Message: "rate limiter unavailable", Err: fmt.Errorf("%s: %w", l.key, err)}
		}
		if !ok {
			return session.Limited(session.ERateLimited, session.ReasonRateLimited, l.what, max(retry, time.Millisecond))
		}
	}
	return nil
}
