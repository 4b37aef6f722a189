package web

import (
	"encoding/json"
	"net/http"

	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/web/templates"
)

// serveCapture is GET /s/{sid}/capture, where Start on the consent screen
// leads. It applies the same rules as the consent screen (unknown, over,
// expired, claimed elsewhere), then hands the claimed session to
// captureStep.
func (h *Handler) serveCapture(w http.ResponseWriter, r *http.Request) {
	c, ok := h.claim(w, r, false)
	if !ok {
		return
	}
	if c.s.ClaimedBy == "" || (c.browser.ID != "" && c.s.ClaimedBy != c.browser.Digest()) {
		// Not started yet (a link to the capture step, or a preview of
		// it), or started by another browser whose claim lapsed: Start is
		// on the consent screen.
		http.Redirect(w, r, "/s/"+c.s.ID, http.StatusSeeOther)
		return
	}
	h.captureStep(w, r, c)
}

// serveStart is POST /s/{sid}/capture, the consent screen's Start: it
// claims the session for this browser (CSRF-protected: the token of the
// consent screen's form), records the consent, and sends the browser to
// the capture step with 303, so that a reload does not post again.
func (h *Handler) serveStart(w http.ResponseWriter, r *http.Request) {
	sid, _, ok := h.pageForm(w, r)
	if !ok {
		return
	}
	c, ok := h.claim(w, r, true)
	if !ok {
		return
	}
	if c.s.ConsentedAt.IsZero() {
		h.consent(r, c)
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/s/"+sid+"/capture", http.StatusSeeOther)
}

// consent records, once, that the end user pressed Start: when, and which
// consent text (c.msg's, the one the consent screen showed) they agreed to,
// in the session and in its audit. A failure is logged: the capture goes
// on, and a reload records it again.
func (h *Handler) consent(r *http.Request, c claimed) {
	now, version := h.now(), h.consentVersion(c.msg, c.s)
	first := false
	_, err := h.store.Update(r.Context(), c.s.ID, func(s *session.Session) error {
		var err error
		first, err = s.Consent(version, now)
		return err
	})
	if err != nil {
		h.log.WarnContext(r.Context(), "web: record consent", "sid", c.s.ID, "err", err)
		return
	}
	if first {
		h.auditEntry(r.Context(), r, c.s.ID, session.AuditEntry{Time: now, Event: "consent", Outcome: version})
	}
}

// captureStep is the one place where the live capture screen plugs in. With
// a live capture service it serves the capture screen, which capture.js
// drives: camera permission, mirrored preview, WebRTC to POST
// /s/{sid}/offer and the data-channel protocol of docs/protocol.md. Without
// one (or for an active session without gestures), it says plainly that the camera
// step is not available and offers
// the way back; that answers 200, since the page works as this version
// intends and an error status would put an error in the browser's console.
func (h *Handler) captureStep(w http.ResponseWriter, r *http.Request, c claimed) {
	var cancel *templates.CancelForm
	if c.s.CancelURL != "" {
		cancel = &templates.CancelForm{Action: "/s/" + c.s.ID + "/cancel", CSRFToken: c.browser.CSRFToken}
	}
	// A passive session (no gestures) uses the same screen: the server
	// tells the page in its hello, and the page asks the user to look at
	// the camera while the burst is collected (docs/protocol.md).
	if h.live == nil || (c.s.Kind == session.KindActive && len(c.s.Gestures) == 0) {
		h.message(w, r, http.StatusOK, c.msg, h.csp(c.s), templates.MessageView{
			TestID: "screen-capture-unavailable",
			Icon:   "icon-camera-off",
			Title:  c.msg.CaptureUnavailableTitle,
			Body:   c.msg.CaptureUnavailableBody,
			Cancel: cancel,
		})
		return
	}
	ice := h.live.ICEServers(c.s.ID)
	if ice == nil {
		ice = []ICEServer{} // "[]", never "null": the page hands it to RTCPeerConnection
	}
	iceJSON, err := json.Marshal(ice)
	if err != nil {
		h.serverError(w, r, c.msg, c.s.ID, err)
		return
	}
	v := templates.CaptureView{
		OfferURL:     "/s/" + c.s.ID + "/offer",
		ReleaseURL:   "/s/" + c.s.ID + "/release",
		CSRFToken:    c.browser.CSRFToken,
		ICEServers:   string(iceJSON),
		RelayOnly:    h.relayOnly,
		FrameRate:    h.frameRate,
		MaxAttempts:  c.s.MaxAttempts,
		AttemptsLeft: c.s.AttemptsLeft(),
		PageURL:      "/s/" + c.s.ID,
		Cancel:       cancel,
	}
	p := h.page(c.msg, c.msg.CaptureTitle)
	p.Scripts = []string{"capture.js"}
	h.render(w, r, http.StatusOK, h.csp(c.s), templates.Capture(p, v))
}
