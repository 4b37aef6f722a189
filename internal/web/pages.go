package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/livegate/livegate/internal/httpx"
	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/web/i18n"
	"github.com/livegate/livegate/web/templates"
)

// maxFormBytes bounds the body of the page's forms (one hidden token).
const maxFormBytes = 4 << 10

// claimed is a pending session that the request's browser holds.
type claimed struct {
	s       *session.Session
	browser Browser
	msg     *i18n.Messages
}

// serveConsent is GET /s/{sid}: what will happen before the camera is
// used. A GET never claims the session: link previews and mail scanners
// (Slackbot, WhatsApp, facebookexternalhit, SafeLinks) fetch the link too,
// and must not take it from the person it was sent to. Start's POST claims
// it (serveStart); a browser other than the one that did sees "in use".
func (h *Handler) serveConsent(w http.ResponseWriter, r *http.Request) {
	c, ok := h.claim(w, r, false)
	if !ok {
		return
	}
	retention, face, pictures := h.consentText(c.msg, c.s)
	v := templates.ConsentView{
		StartURL:  "/s/" + c.s.ID + "/capture",
		CSRFToken: c.browser.CSRFToken,
		Retention: retention,
		FaceData:  face,
		Pictures:  pictures,
		Passive:   c.s.Kind == session.KindPassive,
	}
	if c.s.CancelURL != "" {
		v.Cancel = &templates.CancelForm{Action: "/s/" + c.s.ID + "/cancel", CSRFToken: c.browser.CSRFToken}
	}
	h.render(w, r, http.StatusOK, h.csp(c.s), templates.Consent(h.page(c.msg, c.msg.ConsentTitle), v))
}

// consentText is what the consent screen of s says varies by session: how
// long results are kept, in words; what becomes of its reference photo's
// face data (empty without one) — kept for the session's own biometric
// retention, its API key's, or only until the check ends; and whether still
// pictures of the face (the evidence images) are kept, and for how long:
// only on a server that keeps images, for a session whose biometric
// retention outlasts the check.
func (h *Handler) consentText(msg *i18n.Messages, s *session.Session) (retention, face, pictures string) {
	retention = msg.Days(max(1, int(h.retention.Hours()/24)))
	pictures = msg.ConsentNoPictures
	if h.keepsImages && s.Kind == session.KindActive && s.BiometricRetention > 0 {
		pictures = i18n.Format(msg.ConsentPicturesKept, "period", msg.Period(s.BiometricRetention))
	}
	switch {
	case s.Reference == nil:
	case s.BiometricRetention > 0:
		face = i18n.Format(msg.ConsentFaceKept, "period", msg.Period(s.BiometricRetention))
	default:
		face = msg.ConsentFaceUsed
	}
	return retention, face, pictures
}

// consentVersion names the consent text s's screen shows in msg's language,
// its periods filled in (see i18n.Messages.ConsentVersion).
func (h *Handler) consentVersion(msg *i18n.Messages, s *session.Session) string {
	retention, face, pictures := h.consentText(msg, s)
	return msg.ConsentVersion(i18n.Format(msg.ConsentKeptBody, "period", retention), pictures, face)
}

// serveNotFound answers any other path under /s/.
func (h *Handler) serveNotFound(w http.ResponseWriter, r *http.Request) {
	h.notFound(w, r, h.catalogues.Choose("", r.Header.Get("Accept-Language")))
}

// claim loads the session named in the path and, when take is set, binds
// it to the request's browser; without take it only checks that no other
// browser holds it. When the session cannot be used (unknown, expired,
// over, held by another browser) it renders the screen that says so and
// returns false.
func (h *Handler) claim(w http.ResponseWriter, r *http.Request, take bool) (claimed, bool) {
	ctx := r.Context()
	sid := r.PathValue("sid")
	accept := r.Header.Get("Accept-Language")
	if !session.ValidID(sid) {
		h.notFound(w, r, h.catalogues.Choose("", accept))
		return claimed{}, false
	}
	s, err := h.store.Get(ctx, sid)
	if err != nil {
		h.storeError(w, r, h.catalogues.Choose("", accept), sid, err)
		return claimed{}, false
	}
	msg := h.catalogues.Choose(s.Locale, accept)
	if h.finalScreen(w, r, s, msg) || h.lockedScreen(w, r, s, msg) {
		return claimed{}, false
	}
	if r.Method == http.MethodHead {
		// Link checkers and preview fetchers send HEAD: they must not take
		// the session from the person the link was meant for.
		return claimed{s: s, msg: msg}, true
	}
	b, err := h.browsers.Identify(w, r)
	if err != nil {
		h.serverError(w, r, msg, sid, err)
		return claimed{}, false
	}
	now := h.now()
	digest := b.Digest()
	if !take {
		// Another browser's claim holds only while its lease runs
		// (session.ClaimLease): past it, this browser sees the consent
		// screen and its Start takes the session over.
		if s.HeldByOther(digest, now) {
			h.inUse(w, r, msg)
			return claimed{}, false
		}
		return claimed{s: s, browser: b, msg: msg}, true
	}
	first, lapsed := false, ""
	s, err = h.store.Update(ctx, sid, func(s *session.Session) error {
		// A store may call fn again on a conflict: set both each time.
		first, lapsed = s.ClaimedBy != digest, ""
		if first && s.ClaimedBy != "" {
			lapsed = s.ClaimedBy
		}
		return s.Claim(digest, now)
	})
	switch {
	case err == nil:
	case errors.Is(err, session.ErrClaimed):
		h.inUse(w, r, msg)
		return claimed{}, false
	case errors.Is(err, session.ErrExpired), errors.Is(err, session.ErrFinal):
		// It ended between Get and Update: show where it stands now.
		if s, err = h.store.Get(ctx, sid); err != nil {
			h.storeError(w, r, msg, sid, err)
		} else if !h.finalScreen(w, r, s, msg) {
			h.serverError(w, r, msg, sid, errors.New("session left pending and came back"))
		}
		return claimed{}, false
	default:
		h.storeError(w, r, msg, sid, err)
		return claimed{}, false
	}
	if lapsed != "" {
		// The claim of another browser that pressed Start and then kept
		// no live connection open for a lease: this browser took it over.
		h.auditEntry(ctx, r, sid, session.AuditEntry{Time: now, Event: "claim_lapsed"})
	}
	if first {
		h.audit(ctx, r, sid, "claimed")
	}
	return claimed{s: s, browser: b, msg: msg}, true
}

// inUse renders the screen of a session another browser holds.
func (h *Handler) inUse(w http.ResponseWriter, r *http.Request, msg *i18n.Messages) {
	h.message(w, r, http.StatusConflict, msg, h.csp(nil), templates.MessageView{
		TestID: "screen-in-use", Icon: "icon-devices", Title: msg.InUseTitle, Body: msg.InUseBody,
	})
}

// finalScreen renders the screen of a session that can no longer change and
// reports whether it did.
func (h *Handler) finalScreen(w http.ResponseWriter, r *http.Request, s *session.Session, msg *i18n.Messages) bool {
	switch s.StatusAt(h.now()) {
	case session.StatusPending:
		return false
	case session.StatusExpired:
		h.message(w, r, http.StatusGone, msg, h.csp(nil), templates.MessageView{
			TestID: "screen-expired", Icon: "icon-clock", Title: msg.ExpiredTitle, Body: msg.ExpiredBody,
		})
	case session.StatusFinished:
		v := templates.MessageView{
			TestID: "screen-finished", Icon: "icon-check", Title: msg.FinishedTitle, Body: msg.FinishedBody,
		}
		if u, err := s.SuccessRedirect(); err == nil {
			v.Continue = &templates.Link{URL: u, TestID: "btn-continue"}
		}
		h.message(w, r, http.StatusOK, msg, h.csp(nil), v)
	case session.StatusCanceled:
		h.canceled(w, r, http.StatusGone, msg, s)
	default:
		h.serverError(w, r, msg, s.ID, errors.New("unknown session status "+string(s.Status)))
	}
	return true
}

func (h *Handler) canceled(w http.ResponseWriter, r *http.Request, status int, msg *i18n.Messages, s *session.Session) {
	v := templates.MessageView{
		TestID: "screen-canceled", Icon: "icon-x", Title: msg.CanceledTitle, Body: msg.CanceledBody,
	}
	if u, err := s.CancelRedirect(); err == nil && u != "" {
		v.Back = &templates.Link{URL: u, TestID: "btn-back"}
	}
	h.message(w, r, status, msg, h.csp(nil), v)
}

// pageForm checks a POST of one of the pages' forms (Start, Cancel): a valid
// sid, a same-origin request, and the browser's synchronizer token in
// csrf_token. On a failure it renders the screen that says so and returns
// false.
func (h *Handler) pageForm(w http.ResponseWriter, r *http.Request) (sid string, b Browser, ok bool) {
	sid = r.PathValue("sid")
	accept := r.Header.Get("Accept-Language")
	if !session.ValidID(sid) {
		h.notFound(w, r, h.catalogues.Choose("", accept))
		return "", Browser{}, false
	}
	if err := h.origins.Check(r); err != nil {
		h.forbidden(w, r, h.catalogues.Choose("", accept), sid, err.Error())
		return "", Browser{}, false
	}
	b, ok = h.browsers.Load(r)
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if !ok || !b.ValidToken(r.PostFormValue("csrf_token")) {
		h.forbidden(w, r, h.messagesFor(r.Context(), sid, accept), sid, "missing or wrong synchronizer token")
		return "", Browser{}, false
	}
	return sid, b, true
}

// serveCancel is POST /s/{sid}/cancel, from the claiming browser, or any
// browser with a token while the session is unclaimed.
func (h *Handler) serveCancel(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	accept := r.Header.Get("Accept-Language")
	sid, b, ok := h.pageForm(w, r)
	if !ok {
		return
	}

	now := h.now()
	digest := b.Digest()
	var otherClaimer bool
	s, err := h.store.Update(ctx, sid, func(s *session.Session) error {
		// A store may call fn again on a conflict: set both flags each time.
		// An unclaimed session (the consent screen does not claim) may be
		// canceled by any browser that holds a token, i.e. opened a page.
		otherClaimer = s.HeldByOther(digest, now)
		if otherClaimer {
			return session.ErrClaimed
		}
		return s.Cancel(now)
	})
	switch {
	case err == nil:
	case otherClaimer:
		h.inUse(w, r, h.messagesFor(ctx, sid, accept))
		return
	case errors.Is(err, session.ErrExpired), errors.Is(err, session.ErrFinal):
		cur, gerr := h.store.Get(ctx, sid)
		if gerr != nil {
			h.storeError(w, r, h.catalogues.Choose("", accept), sid, gerr)
			return
		}
		// A second tap on Cancel: the first one already did the job.
		if cur.Status == session.StatusCanceled {
			h.afterCancel(w, r, cur, accept)
			return
		}
		h.finalScreen(w, r, cur, h.catalogues.Choose(cur.Locale, accept))
		return
	default:
		h.storeError(w, r, h.catalogues.Choose("", accept), sid, err)
		return
	}
	h.log.InfoContext(ctx, "web: session canceled by the end user", "sid", sid)
	h.audit(ctx, r, sid, "canceled")
	h.afterCancel(w, r, s, accept)
}

// afterCancel sends the user to cancel_url?sid=… with 303, or shows the
// canceled screen when the integrator gave no cancel_url.
func (h *Handler) afterCancel(w http.ResponseWriter, r *http.Request, s *session.Session, accept string) {
	u, err := s.CancelRedirect()
	if err != nil || u == "" || Origin(u) == "" {
		// No cancel_url, or one whose origin the page's form-action could
		// not name (Chromium would block the 303): the canceled screen, with
		// a plain link back when there is one.
		h.canceled(w, r, http.StatusOK, h.catalogues.Choose(s.Locale, accept), s)
		return
	}
	hd := w.Header()
	hd.Set("Cache-Control", "no-store")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Content-Type-Options", "nosniff")
	http.Redirect(w, r, u, http.StatusSeeOther)
}

// messagesFor picks the catalogue for a session by id, falling back to the
// browser's languages when it cannot be read.
func (h *Handler) messagesFor(ctx context.Context, sid, accept string) *i18n.Messages {
	if s, err := h.store.Get(ctx, sid); err == nil {
		return h.catalogues.Choose(s.Locale, accept)
	}
	return h.catalogues.Choose("", accept)
}

// csp is the policy of a page about s. The page's cancel form may be
// answered with a redirect to the integrator's cancel_url, so its origin
// joins form-action; pages about no session allow only 'self'.
func (h *Handler) csp(s *session.Session) string {
	if s == nil || s.CancelURL == "" {
		return ContentSecurityPolicy(h.frameAncestors)
	}
	return ContentSecurityPolicy(h.frameAncestors, Origin(s.CancelURL))
}

func (h *Handler) message(w http.ResponseWriter, r *http.Request, status int, msg *i18n.Messages, csp string, v templates.MessageView) {
	v.Icon += ".svg"
	h.render(w, r, status, csp, templates.Message(h.page(msg, v.Title), v))
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request, msg *i18n.Messages) {
	h.message(w, r, http.StatusNotFound, msg, h.csp(nil), templates.MessageView{
		TestID: "screen-not-found", Icon: "icon-search", Title: msg.NotFoundTitle, Body: msg.NotFoundBody,
	})
}

func (h *Handler) forbidden(w http.ResponseWriter, r *http.Request, msg *i18n.Messages, sid, why string) {
	h.log.WarnContext(r.Context(), "web: form refused", "sid", sid, "reason", why)
	h.message(w, r, http.StatusForbidden, msg, h.csp(nil), templates.MessageView{
		TestID: "screen-forbidden", Icon: "icon-alert", Title: msg.ForbiddenTitle, Body: msg.ForbiddenBody,
	})
}

// storeError maps a store error to the not-found or the error screen.
func (h *Handler) storeError(w http.ResponseWriter, r *http.Request, msg *i18n.Messages, sid string, err error) {
	if errors.Is(err, session.ErrNotFound) || session.ErrorCode(err) == session.ENotFound {
		h.notFound(w, r, msg)
		return
	}
	if httpx.Status(err) == http.StatusServiceUnavailable {
		h.unavailable(w, r, msg, sid, err)
		return
	}
	h.serverError(w, r, msg, sid, err)
}

// unavailable is the page for a store that cannot be reached: 503 with the
// store's Retry-After, so that the person (and any proxy) tries again
// rather than taking the session for lost.
func (h *Handler) unavailable(w http.ResponseWriter, r *http.Request, msg *i18n.Messages, sid string, err error) {
	h.log.WarnContext(r.Context(), "web: store unavailable", "sid", sid, "err", err)
	if !httpx.SetRetryAfter(w, err) {
		w.Header().Set("Retry-After", "5")
	}
	h.message(w, r, http.StatusServiceUnavailable, msg, h.csp(nil), templates.MessageView{
		TestID: "screen-unavailable", Icon: "icon-alert", Title: msg.ErrorTitle, Body: msg.ErrorBody,
	})
}

func (h *Handler) serverError(w http.ResponseWriter, r *http.Request, msg *i18n.Messages, sid string, err error) {
	h.log.ErrorContext(r.Context(), "web: page failed", "sid", sid, "err", err)
	h.message(w, r, http.StatusInternalServerError, msg, h.csp(nil), templates.MessageView{
		TestID: "screen-error", Icon: "icon-alert", Title: msg.ErrorTitle, Body: msg.ErrorBody,
	})
}

// audit records a notable page event; a failure is logged, never shown.
func (h *Handler) audit(ctx context.Context, r *http.Request, sid, event string) {
	h.auditEntry(ctx, r, sid, session.AuditEntry{Event: event})
}

// auditEntry records e, stamped with the request's client and, unless e
// has one, the time.
func (h *Handler) auditEntry(ctx context.Context, r *http.Request, sid string, e session.AuditEntry) {
	if e.Time.IsZero() {
		e.Time = h.now()
	}
	e.ClientIP, e.UserAgent = h.clientIP(r), r.UserAgent()
	if err := h.store.AppendAudit(ctx, sid, e); err != nil {
		h.log.LogAttrs(ctx, slog.LevelWarn, "web: append audit entry", slog.String("sid", sid), slog.String("event", e.Event), slog.Any("err", err))
	}
}
