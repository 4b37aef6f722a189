package api

import (
	"encoding/json"
	"fmt"
	"image"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/livegate/livegate/internal/session"
)

// createRequest is the body of a session creation. Pointers tell an absent
// field from an explicit zero, which is out of range and refused.
type createRequest struct {
	SuccessURL          string   `json:"success_url"`
	CancelURL           *string  `json:"cancel_url"`
	NumberOfGestures    *int     `json:"number_of_gestures"`
	Gestures            []string `json:"gestures"`
	ExpiresInSeconds    *int     `json:"expires_in_seconds"`
	MaxAttempts         *int     `json:"max_attempts"`
	DeviceCorrelationID *string  `json:"device_correlation_id"`
	Locale              *string  `json:"locale"`
	WebhookURL          *string  `json:"webhook_url"`
	VerifyImage         *string  `json:"verify_image"`
}

// explicit turns an optional int into the domain's convention (0 = default):
// an explicit 0 becomes -1 so that the domain's range check refuses it.
func explicit(p *int) int {
	switch {
	case p == nil:
		return 0
	case *p == 0:
		return -1
	default:
		return *p
	}
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func (h *Handler) create(kind session.Kind) func(http.ResponseWriter, *http.Request, string) {
	return func(w http.ResponseWriter, r *http.Request, owner string) {
		var req createRequest
		n, err := decodeJSONLimit(w, r, &req, MaxBodyBytes+maxVerifyImageBase64)
		if err != nil {
			writeError(w, r, h.log, err)
			return
		}
		// Only verify_image may use the raised limit.
		if req.VerifyImage == nil && n > MaxBodyBytes || req.VerifyImage != nil && n-len(*req.VerifyImage) > MaxBodyBytes {
			writeError(w, r, h.log, session.Errorf(session.ETooLarge, "request body must be at most %d bytes besides verify_image", MaxBodyBytes))
			return
		}
		var verifyImg image.Image
		if req.VerifyImage != nil {
			if h.refs == nil {
				writeError(w, r, h.log, session.Errorf(session.EUnavailable, "liveness with verify is not available on this server"))
				return
			}
			if h.dataKeys == nil {
				writeError(w, r, h.log, session.Errorf(session.EUnavailable, "liveness with verify is not available on this server: it keeps no biometric data (no data key is configured)"))
				return
			}
			if verifyImg, err = decodeVerifyImage(*req.VerifyImage); err != nil {
				writeError(w, r, h.log, err)
				return
			}
		}
		p := session.Params{
			Kind:                kind,
			Owner:               owner,
			SuccessURL:          req.SuccessURL,
			CancelURL:           str(req.CancelURL),
			NumberOfGestures:    explicit(req.NumberOfGestures),
			Gestures:            req.Gestures,
			MaxAttempts:         explicit(req.MaxAttempts),
			DeviceCorrelationID: str(req.DeviceCorrelationID),
			Locale:              str(req.Locale),
			WebhookURL:          str(req.WebhookURL),
			BiometricRetention:  h.keys.retention[owner],
		}
		if req.Gestures != nil && len(req.Gestures) == 0 {
			writeError(w, r, h.log, session.Errorf(session.EInvalid, "gestures must list at least one code when given"))
			return
		}
		if n := explicit(req.ExpiresInSeconds); n != 0 {
			// Clamp before converting so that a huge number cannot overflow
			// into the valid range.
			p.ExpiresIn = time.Duration(min(max(n, -1), math.MaxInt32)) * time.Second
		}
		now := h.now()
		s, err := session.New(p, now)
		if err != nil {
			writeError(w, r, h.log, err)
			return
		}
		if err := h.deviceLocked(r.Context(), owner, s.DeviceCorrelationID); err != nil {
			writeError(w, r, h.log, err)
			return
		}
		if p.WebhookURL != "" {
			if h.webhooks == nil {
				writeError(w, r, h.log, session.Errorf(session.EUnavailable, "webhook_url is not available on this server: no webhook secret is configured"))
				return
			}
			if err := h.webhooks.CheckWebhook(r.Context(), owner, p.WebhookURL); err != nil {
				writeError(w, r, h.log, err)
				return
			}
		}
		// Validate everything before taking a token: bad input must not
		// cost the integrator its rate.
		if h.limiter != nil {
			ok, retry, err := h.limiter.Allow(r.Context(), owner)
			if err != nil {
				writeError(w, r, h.log, &session.Error{Code: session.EUnavailable, Message: "rate limiter unavailable", Err: err})
				return
			}
			if !ok {
				w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(retry.Seconds()))))
				writeError(w, r, h.log, session.Errorf(session.ERateLimited, "too many sessions created; retry after %d s", int(math.Ceil(retry.Seconds()))))
				return
			}
		}
		// The face check costs a detection and a network: it runs after the token is
		// taken, so a flood of references is bounded by the key's rate; a refused
		// reference costs one token.
		if verifyImg != nil {
			if s.Reference, err = checkReference(r.Context(), h.refs, h.dataKeys, s.ID, verifyImg); err != nil {
				writeError(w, r, h.log, err)
				return
			}
		}
		if err := h.store.Create(r.Context(), s); err != nil {
			writeError(w, r, h.log, fmt.Errorf("api: create session: %w", err))
			return
		}
		h.appendAudit(r, s.ID, session.AuditEntry{Time: now, Event: "created"})
		h.log.InfoContext(r.Context(), "session created", "sid", s.ID, "kind", s.Kind, "owner", owner)
		writeJSON(w, r, h.log, http.StatusOK, h.view(s, now, true))
	}
}

// load fetches a session of the right kind that owner may see. Another key's
// session, or one of the other kind, is "not found": its existence is not
// revealed.
func (h *Handler) load(r *http.Request, kind session.Kind, owner string) (*session.Session, error) {
	sid := r.PathValue("sid")
	if !session.ValidID(sid) {
		return nil, session.ErrNotFound
	}
	s, err := h.store.Get(r.Context(), sid)
	if err != nil {
		return nil, err
	}
	if s.Owner != owner || s.Kind != kind {
		return nil, session.ErrNotFound
	}
	return s, nil
}

func (h *Handler) get(kind session.Kind) func(http.ResponseWriter, *http.Request, string) {
	return func(w http.ResponseWriter, r *http.Request, owner string) {
		rt, err := resultType(r)
		if err != nil {
			writeError(w, r, h.log, err)
			return
		}
		s, err := h.load(r, kind, owner)
		if err != nil {
			writeError(w, r, h.log, err)
			return
		}
		now := h.now()
		v := h.view(s, now, false)
		if ir := v.Result.images(); ir != nil {
			if ir.Images, ir.ImagesStatus, err = h.images(r, s, rt, now); err != nil {
				writeError(w, r, h.log, err)
				return
			}
		}
		writeJSON(w, r, h.log, http.StatusOK, v)
	}
}

// revoke cancels a session for its integrator; the page stops at once. It is
// idempotent for sessions already canceled or expired; a finished session
// keeps its result and answers 409.
func (h *Handler) revoke(kind session.Kind) func(http.ResponseWriter, *http.Request, string) {
	return func(w http.ResponseWriter, r *http.Request, owner string) {
		if _, err := h.load(r, kind, owner); err != nil {
			writeError(w, r, h.log, err)
			return
		}
		now := h.now()
		s, err := h.store.Update(r.Context(), r.PathValue("sid"), func(s *session.Session) error {
			switch st := s.StatusAt(now); st {
			case session.StatusCanceled, session.StatusExpired:
				s.Expire(now) // drops the reference embedding if it just expired
				return nil
			case session.StatusFinished:
				return session.Errorf(session.EConflict, "session already finished; its result is kept")
			}
			return s.Cancel(now) // drops the reference embedding
		})
		if err != nil {
			writeError(w, r, h.log, err)
			return
		}
		h.appendAudit(r, s.ID, session.AuditEntry{Time: now, Event: "revoked", Outcome: string(s.Status)})
		writeJSON(w, r, h.log, http.StatusOK, h.view(s, now, false))
	}
}

// BiometricImages names the evidence images in DELETE …/{sid}/data's
// answer and the audit.
const BiometricImages = "evidence_images"

// dataView is the answer of DELETE …/{sid}/data and …/{sid}/evidence.
type dataView struct {
	SID     string         `json:"sid"`
	Status  session.Status `json:"status"`
	Deleted []string       `json:"deleted"`
}

// deleteData removes every biometric value of a session at once (the
// end user's erasure request, or the integrator's own policy) and records
// it in the audit; the verdict stays. A pending session is canceled by it.
// Asking again is harmless: nothing is left to delete.
func (h *Handler) deleteData(kind session.Kind) func(http.ResponseWriter, *http.Request, string) {
	return func(w http.ResponseWriter, r *http.Request, owner string) {
		if _, err := h.load(r, kind, owner); err != nil {
			writeError(w, r, h.log, err)
			return
		}
		now := h.now()
		var deleted []string
		s, err := h.store.Update(r.Context(), r.PathValue("sid"), func(s *session.Session) error {
			deleted = s.DeleteBiometrics(now)
			return nil
		})
		if err != nil {
			writeError(w, r, h.log, err)
			return
		}
		imgs, err := h.deleteImages(r, s.ID)
		if err != nil {
			writeError(w, r, h.log, fmt.Errorf("api: delete evidence of %s: %w", s.ID, err))
			return
		}
		if len(imgs) > 0 {
			deleted = append(deleted, BiometricImages)
		}
		if deleted == nil {
			deleted = []string{}
		}
		outcome := strings.Join(deleted, ",")
		if outcome == "" {
			outcome = "nothing_kept"
		}
		h.appendAudit(r, s.ID, session.AuditEntry{Time: now, Event: "data_deleted", Outcome: outcome})
		writeJSON(w, r, h.log, http.StatusOK, dataView{SID: s.ID, Status: s.Status, Deleted: deleted})
	}
}

type auditView struct {
	SID string `json:"sid"`
	// Head is the hash of the last entry (session.AuditHead): an
	// integrator who keeps it can later prove the trail still leads to it.
	Head    string               `json:"head"`
	Entries []session.AuditEntry `json:"entries"`
}

func (h *Handler) audit(kind session.Kind) func(http.ResponseWriter, *http.Request, string) {
	return func(w http.ResponseWriter, r *http.Request, owner string) {
		s, err := h.load(r, kind, owner)
		if err != nil {
			writeError(w, r, h.log, err)
			return
		}
		entries, err := h.store.Audit(r.Context(), s.ID)
		if err != nil {
			writeError(w, r, h.log, fmt.Errorf("api: audit %s: %w", s.ID, err))
			return
		}
		if entries == nil {
			entries = []session.AuditEntry{}
		}
		// The answer is the trail as stored, broken or not, for the
		// integrator to verify; a broken one is also worth an operator's look.
		if err := session.VerifyAudit(entries); err != nil {
			h.log.ErrorContext(r.Context(), "api: audit trail is not intact", "sid", s.ID, "err", err)
		}
		writeJSON(w, r, h.log, http.StatusOK, auditView{SID: s.ID, Head: session.AuditHead(entries), Entries: entries})
	}
}

// appendAudit records an integrator action. A failure is logged, not
// returned: the action itself has been stored.
func (h *Handler) appendAudit(r *http.Request, sid string, e session.AuditEntry) {
	e.ClientIP = h.clientIP(r)
	e.UserAgent = truncate(r.UserAgent(), 256)
	if err := h.store.AppendAudit(r.Context(), sid, e); err != nil {
		h.log.WarnContext(r.Context(), "api: append audit", "sid", sid, "err", err)
	}
}

// peerIP is the connection's peer, the client address when no
// Limits.ClientIP is set.
func peerIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// SessionJSON is the JSON of s as GET of it answers at now: the body of its
// webhook.
func (h *Handler) SessionJSON(s *session.Session, now time.Time) ([]byte, error) {
	return json.Marshal(h.view(s, now, false))
}

// sessionView is the session object of GLAIR's API plus livegate's fields.
type sessionView struct {
	Status           session.Status `json:"status"`
	SID              string         `json:"sid"`
	Expired          int64          `json:"expired"`
	URL              string         `json:"url"`
	SuccessURL       string         `json:"success_url"`
	CancelURL        *string        `json:"cancel_url"`
	NumberOfGestures *int           `json:"number_of_gestures,omitempty"`
	// Result is present (null until finished) on retrieval; GLAIR's create
	// response does not carry it.
	Result *resultField `json:"result,omitempty"`
	// ReportURL is a finished active session's report page, a signed link
	// a browser opens without an API key, valid until ReportExpiresAt
	// (Unix ms).
	ReportURL       string `json:"report_url,omitempty"`
	ReportExpiresAt int64  `json:"report_expires_at,omitempty"`

	Gestures            []session.Gesture `json:"gestures,omitempty"`
	CreatedAt           int64             `json:"created"`
	MaxAttempts         int               `json:"max_attempts"`
	AttemptsUsed        int               `json:"attempts_used"`
	DeviceCorrelationID string            `json:"device_correlation_id,omitempty"`
	Locale              string            `json:"locale,omitempty"`
	WebhookURL          string            `json:"webhook_url,omitempty"`
	// QualityForRecognition is the verify_image's grade (Azure's name), for sessions
	// created with one.
	QualityForRecognition string `json:"quality_for_recognition,omitempty"`
}

// resultField marshals to null for a session without a result, so that the
// field is present as GLAIR has it.
type resultField struct {
	r *resultView
	p *passiveResultView // a passive session's result instead
}

// images returns the images part of a finished session's result, nil
// before it has one.
func (f *resultField) images() *resultImages {
	switch {
	case f.p != nil:
		return &f.p.resultImages
	case f.r != nil:
		return &f.r.resultImages
	}
	return nil
}

// resultImages lists the session's evidence images (GET only; the webhook
// carries none) and says why there are none.
type resultImages struct {
	Images       []imageView `json:"images,omitempty"`
	ImagesStatus string      `json:"images_status,omitempty"`
}

func (f *resultField) MarshalJSON() ([]byte, error) {
	switch {
	case f.p != nil:
		return json.Marshal(f.p)
	case f.r == nil:
		return []byte("null"), nil
	}
	return json.Marshal(f.r)
}

type resultView struct {
	Status        string                   `json:"status"`
	Result        glairResult              `json:"result"`
	Gestures      []session.GestureOutcome `json:"gestures,omitempty"`
	LivenessScore *float64                 `json:"liveness_score"`
	AttackType    *string                  `json:"attack_type"`
	// Liveness is the per-signal breakdown of liveness_score.
	Liveness *session.LivenessDetail `json:"liveness,omitempty"`
	Attempts int                     `json:"attempts"`
	// VerifyResult is present for sessions created with a verify_image.
	VerifyResult *session.VerifyResult `json:"verify_result,omitempty"`
	// Evidence is, per asked gesture, the signals that decided it.
	Evidence []session.GestureEvidence `json:"evidence,omitempty"`
	resultImages
}

type glairResult struct {
	GestureStatus   session.GestureStatus `json:"gesture_status"`
	DetectedGesture session.Gesture       `json:"detected_gesture,omitempty"`
}

func (h *Handler) view(s *session.Session, now time.Time, created bool) sessionView {
	v := sessionView{
		Status:              s.StatusAt(now),
		SID:                 s.ID,
		Expired:             s.ExpiresAt.UnixMilli(),
		URL:                 h.publicURL + "/s/" + s.ID,
		SuccessURL:          s.SuccessURL,
		Gestures:            s.Gestures,
		CreatedAt:           s.CreatedAt.UnixMilli(),
		MaxAttempts:         s.MaxAttempts,
		AttemptsUsed:        s.AttemptsUsed,
		DeviceCorrelationID: s.DeviceCorrelationID,
		Locale:              s.Locale,
		WebhookURL:          s.WebhookURL,
	}
	if s.CancelURL != "" {
		v.CancelURL = &s.CancelURL
	}
	if s.Reference != nil {
		v.QualityForRecognition = s.Reference.Quality
	}
	if s.Kind == session.KindActive {
		n := s.NumberOfGestures()
		v.NumberOfGestures = &n
	}
	if !created {
		v.Result = &resultField{}
		if r := s.Result; r != nil && s.Status == session.StatusFinished && s.Kind == session.KindPassive {
			v.Result.p = h.passiveView(r)
		} else if r != nil && s.Status == session.StatusFinished {
			v.Result.r = &resultView{
				Status:        r.Status,
				Result:        glairResult{GestureStatus: r.GestureStatus, DetectedGesture: r.DetectedGesture},
				Gestures:      r.Gestures,
				LivenessScore: r.LivenessScore,
				AttackType:    r.AttackType,
				Liveness:      r.Liveness,
				Attempts:      r.Attempts,
				VerifyResult:  r.Verify,
				Evidence:      r.Evidence,
			}
			v.ReportURL, v.ReportExpiresAt = h.reportLink(s, now)
		}
	}
	return v
}

// reportLink is s's signed report link and its expiry (Unix ms): ReportTTL
// from now, never past the session's retention; none without a signer or
// once the retention is over.
func (h *Handler) reportLink(s *session.Session, now time.Time) (string, int64) {
	if h.reports == nil {
		return "", 0
	}
	exp := now.Add(h.reportTTL)
	if keep := s.KeepUntil(h.retention); keep.Before(exp) {
		exp = keep
	}
	exp = exp.Truncate(time.Second) // the link's expiry is to the second
	if !exp.After(now) {
		return "", 0
	}
	return h.publicURL + h.reports.Path(h.reportAt(s.ID), exp), exp.UnixMilli()
}

// passiveResultView is a finished passive session's result: GLAIR's
// passive liveness answer (seed 001: status, and result with
// spoof_percentage and its band or the face status) plus livegate's
// liveness_score, attack_type, breakdown and attempts, as the active
// sessions' result has them.
type passiveResultView struct {
	Status        string                  `json:"status"`
	Result        passiveResult           `json:"result"`
	LivenessScore *float64                `json:"liveness_score"`
	AttackType    *string                 `json:"attack_type"`
	Liveness      *session.LivenessDetail `json:"liveness,omitempty"`
	Attempts      int                     `json:"attempts"`
	// VerifyResult is present for sessions created with a verify_image.
	VerifyResult *session.VerifyResult `json:"verify_result,omitempty"`
	resultImages
}

// passiveView builds r's passive view. A face that was judged gets its
// spoof percentage's band; otherwise GLAIR's face status with 1.0 (an
// attempt that ended without a still, frontal face to judge, by timeout
// or a lost connection, reads as "face not detected").
func (h *Handler) passiveView(r *session.Result) *passiveResultView {
	pr := passiveResult{SpoofPercentage: 1, Status: string(session.GestureNoFace)}
	switch r.GestureStatus {
	case session.GestureMatch:
		if r.SpoofPercentage != nil {
			pr.SpoofPercentage = *r.SpoofPercentage
		}
		pr.Status = h.bands.Band(pr.SpoofPercentage)
	case session.GestureTooManyFaces:
		pr.Status = string(session.GestureTooManyFaces)
	}
	return &passiveResultView{
		Status: r.Status, Result: pr, LivenessScore: r.LivenessScore, AttackType: r.AttackType,
		Liveness: r.Liveness, Attempts: r.Attempts, VerifyResult: r.Verify,
	}
}
