package web

import (
	"errors"
	"net/http"

	"github.com/livegate/livegate/internal/session"
)

// serveRelease is POST /s/{sid}/release: the claiming browser gives the
// session up, so that the link opened elsewhere claims it. capture.js sends
// it when it shows the in-app browser screen, whose way forward is to copy
// the link into a real browser; without it that browser would only see "in
// use on another device". Same checks as the offer: same origin, the
// browser's token in X-CSRF-Token, a pending session. 204 on success.
func (h *Handler) serveRelease(w http.ResponseWriter, r *http.Request) {
	sid, b, ok := h.liveRequest(w, r)
	if !ok {
		return
	}
	now := h.now()
	_, err := h.store.Update(r.Context(), sid, func(s *session.Session) error {
		if s.AttemptsUsed > 0 {
			// A browser that has streamed keeps its session: releasing
			// then would let another device take over a started check.
			return session.Errorf(session.EConflict, "the check has started on this device")
		}
		return s.Release(b.Digest(), now)
	})
	if err != nil {
		if errors.Is(err, session.ErrNotFound) {
			h.apiError(w, r, http.StatusNotFound, session.ErrNotFound.Message, nil)
			return
		}
		h.liveError(w, r, sid, err)
		return
	}
	h.audit(r.Context(), r, sid, "released")
	w.WriteHeader(http.StatusNoContent)
}
