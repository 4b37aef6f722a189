package web

import (
	"net/http"

	"github.com/livegate/livegate/web/templates"
)

// serveCapture is GET /s/{sid}/capture, where Start on the consent screen
// leads. It applies the same rules as the consent screen (unknown, over,
// expired, claimed elsewhere), then hands the claimed session to
// captureStep.
func (h *Handler) serveCapture(w http.ResponseWriter, r *http.Request) {
	c, ok := h.claim(w, r)
	if !ok {
		return
	}
	h.captureStep(w, r, c)
}

// captureStep is the one place where the live capture screen plugs in
// (issue 7: camera permission, preview, instructions in the live region,
// WebRTC to POST /s/{sid}/offer). Until it exists, it says plainly that the
// camera step is not available in this version and offers the way back.
// It answers 200: the page works as this version intends, and an error
// status would put an error in the browser's console.
func (h *Handler) captureStep(w http.ResponseWriter, r *http.Request, c claimed) {
	v := templates.MessageView{
		TestID: "screen-capture-unavailable",
		Icon:   "icon-camera-off",
		Title:  c.msg.CaptureUnavailableTitle,
		Body:   c.msg.CaptureUnavailableBody,
	}
	if c.s.CancelURL != "" {
		v.Cancel = &templates.CancelForm{Action: "/s/" + c.s.ID + "/cancel", CSRFToken: c.browser.CSRFToken}
	}
	h.message(w, r, http.StatusOK, c.msg, h.csp(c.s), v)
}
