package web

import (
	"context"
	"io"
	"mime"
	"net/http"

	"github.com/livegate/livegate/internal/httpx"
	"github.com/livegate/livegate/internal/session"
)

// MaxOfferBytes is the largest SDP offer POST /s/{sid}/offer reads.
const MaxOfferBytes = 64 << 10

// Signaller is the signalling half of the live capture: a Config.Live
// that implements it gets POST and DELETE /s/{sid}/offer. Errors are, or
// wrap, *session.Error; an error with a RetryAfter() time.Duration method
// adds a Retry-After header to its 503.
type Signaller interface {
	// Offer answers req's SDP offer and starts the connection.
	Offer(ctx context.Context, req OfferRequest) (answer string, err error)
	// Hangup ends the live connection of sid held by the browser with
	// this digest.
	Hangup(ctx context.Context, sid, browserDigest string) error
}

// OfferRequest is one browser's SDP offer for a session.
type OfferRequest struct {
	SID string
	// BrowserDigest is Browser.Digest() of the request's cookie.
	BrowserDigest string
	SDP           string
	ClientIP      string
	UserAgent     string
}

// serveOffer is POST /s/{sid}/offer (docs/protocol.md, "Signalling").
func (h *Handler) serveOffer(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sid, b, s, ok := h.liveSession(w, r)
	if !ok {
		return
	}
	if err := h.limitOffer(ctx, r, s); err != nil {
		h.liveError(w, r, sid, err)
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/sdp" {
		h.liveError(w, r, sid, session.Errorf(session.EInvalid, "Content-Type must be application/sdp"))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxOfferBytes+1))
	if err != nil {
		h.liveError(w, r, sid, &session.Error{Code: session.EInvalid, Message: "cannot read the SDP offer", Err: err})
		return
	}
	if len(body) > MaxOfferBytes {
		// Invalid, not too large: the page treats 400 as an offer this
		// browser cannot make (docs/protocol.md: "malformed or oversized").
		h.liveError(w, r, sid, session.Errorf(session.EInvalid, "SDP offer larger than 64 KiB"))
		return
	}
	answer, err := h.signaller.Offer(ctx, OfferRequest{
		SID:           sid,
		BrowserDigest: b.Digest(),
		SDP:           string(body),
		ClientIP:      h.clientIP(r),
		UserAgent:     r.UserAgent(),
	})
	if err != nil {
		h.liveError(w, r, sid, err)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/sdp")
	hd.Set("Location", "/s/"+sid+"/offer")
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, answer)
}

// serveHangup is DELETE /s/{sid}/offer.
func (h *Handler) serveHangup(w http.ResponseWriter, r *http.Request) {
	sid, b, ok := h.liveRequest(w, r)
	if !ok {
		return
	}
	if err := h.signaller.Hangup(r.Context(), sid, b.Digest()); err != nil {
		h.liveError(w, r, sid, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// liveRequest is liveSession without the session.
func (h *Handler) liveRequest(w http.ResponseWriter, r *http.Request) (string, Browser, bool) {
	sid, b, _, ok := h.liveSession(w, r)
	return sid, b, ok
}

// liveSession applies the checks every signalling request passes and
// returns the session, in the
// order of the statuses' precedence: a known session id, same origin, the
// browser's token, then the session: unknown 404, expired 410, over 409,
// not claimed by this browser 403, claimed by another 409.
func (h *Handler) liveSession(w http.ResponseWriter, r *http.Request) (string, Browser, *session.Session, bool) {
	sid := r.PathValue("sid")
	if !session.ValidID(sid) {
		h.liveError(w, r, sid, session.ErrNotFound)
		return "", Browser{}, nil, false
	}
	if err := h.origins.Check(r); err != nil {
		h.apiError(w, r, http.StatusForbidden, "cross-origin request refused", err)
		return "", Browser{}, nil, false
	}
	b, ok := h.browsers.Load(r)
	if !ok || !b.ValidToken(r.Header.Get("X-CSRF-Token")) {
		h.apiError(w, r, http.StatusForbidden, "missing or wrong CSRF token", nil)
		return "", Browser{}, nil, false
	}
	s, err := h.store.Get(r.Context(), sid)
	if err != nil {
		h.liveError(w, r, sid, err)
		return "", Browser{}, nil, false
	}
	switch s.StatusAt(h.now()) {
	case session.StatusPending:
	case session.StatusExpired:
		h.liveError(w, r, sid, session.ErrExpired)
		return "", Browser{}, nil, false
	default:
		h.liveError(w, r, sid, session.ErrFinal)
		return "", Browser{}, nil, false
	}
	switch s.ClaimedBy {
	case b.Digest():
	case "":
		h.apiError(w, r, http.StatusForbidden, "this browser has not opened the session's page", nil)
		return "", Browser{}, nil, false
	default:
		h.liveError(w, r, sid, session.ErrClaimed)
		return "", Browser{}, nil, false
	}
	return sid, b, s, true
}

// liveError answers a live-capture, store or request error in the API's
// format, with its status from httpx's one table (docs/protocol.md: not
// found 404, expired 410, other conflicts 409, invalid 400, unavailable 503
// with Retry-After when the error says, anything else 500). Refusals are
// logged with their cause, internal errors as errors.
func (h *Handler) liveError(w http.ResponseWriter, r *http.Request, sid string, err error) {
	if status := httpx.Status(err); status >= 500 {
		h.log.ErrorContext(r.Context(), "web: live capture", "sid", sid, "err", err)
	} else {
		h.log.InfoContext(r.Context(), "web: live capture request refused", "path", r.URL.Path, "status", status, "err", err)
	}
	httpx.WriteDomainError(w, err)
}

// apiError writes {"status":"failed","error_message":…}, the API's error
// format, for the pages' own refusals that have no domain code (403: the
// origin, the CSRF token, a browser that has not opened the page); why
// (when not nil) is logged, never sent. Domain errors go through liveError.
func (h *Handler) apiError(w http.ResponseWriter, r *http.Request, status int, message string, why error) {
	if why != nil && status != http.StatusInternalServerError {
		h.log.InfoContext(r.Context(), "web: live capture request refused", "path", r.URL.Path, "status", status, "err", why)
	}
	httpx.WriteError(w, status, message)
}
