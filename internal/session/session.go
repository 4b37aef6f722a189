// Package session is livegate's domain: liveness sessions, their statuses and
// gesture codes, results, audit entries, the Store interface and the rules for
// moving a session from one status to another.
//
// It knows nothing of HTTP, Redis, WebRTC or OpenCV. Stores live in the
// memstore and redisstore subpackages and share one contract test suite
// (sessiontest). Every change to a stored session goes through Store.Update
// with one of the transition methods below, so the rules live in one place and
// the store only has to make the change atomic.
package session

import (
	"bytes"
	"time"
)

// Kind tells which family of session a session belongs to.
type Kind string

// The two families of session.
const (
	// KindActive asks the user for head gestures.
	KindActive Kind = "active"
	// KindPassive takes one selfie and checks it passively.
	KindPassive Kind = "passive"
)

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k == KindActive || k == KindPassive }

// Status is a session's place in its life cycle. PENDING is the only status
// that can change; the others are final.
type Status string

// Session statuses. PENDING and FINISHED are GLAIR's; livegate adds CANCELED
// and EXPIRED.
const (
	StatusPending  Status = "PENDING"
	StatusFinished Status = "FINISHED"
	StatusCanceled Status = "CANCELED"
	StatusExpired  Status = "EXPIRED"
)

// Final reports whether s can no longer change.
func (s Status) Final() bool { return s != StatusPending }

// Limits and defaults of the session API (the README's "Using the API").
const (
	DefaultNumberOfGestures = 1
	MaxNumberOfGestures     = 5
	DefaultExpiresIn        = 24 * time.Hour
	MinExpiresIn            = 60 * time.Second
	MaxExpiresIn            = 24 * time.Hour
	DefaultMaxAttempts      = 3
	MaxMaxAttempts          = 10
	MaxURLLength            = 2048
	MaxDeviceIDLength       = 128
)

// Session is one liveness check that an integrator asked for.
type Session struct {
	ID    string `json:"id"`
	Kind  Kind   `json:"kind"`
	Owner string `json:"owner"` // the API key that created it (its id, never the secret)

	Status     Status    `json:"status"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	EndedAt    time.Time `json:"ended_at,omitzero"` // when it left PENDING
	SuccessURL string    `json:"success_url"`
	CancelURL  string    `json:"cancel_url,omitempty"`

	// Gestures are the gesture codes to ask, in order; their number is
	// GLAIR's number_of_gestures. Empty for passive sessions.
	Gestures            []Gesture `json:"gestures,omitempty"`
	MaxAttempts         int       `json:"max_attempts"`
	AttemptsUsed        int       `json:"attempts_used"`
	DeviceCorrelationID string    `json:"device_correlation_id,omitempty"`
	Locale              string    `json:"locale,omitempty"`
	WebhookURL          string    `json:"webhook_url,omitempty"`

	// ClaimedBy is a digest of the browser that pressed Start; other
	// browsers are shown "in use on another device" while its claim's lease
	// runs (ClaimLease from ClaimRenewedAt, which the claim and every
	// renewal by a live connection set). A lapsed claim may be taken over.
	ClaimedBy      string    `json:"claimed_by,omitempty"`
	ClaimedAt      time.Time `json:"claimed_at,omitzero"`
	ClaimRenewedAt time.Time `json:"claim_renewed_at,omitzero"`
	// ConsentedAt is when the end user pressed Start on the consent screen,
	// and ConsentVersion which text they agreed to (its language and a
	// digest of its words); both zero until then.
	ConsentedAt    time.Time `json:"consented_at,omitzero"`
	ConsentVersion string    `json:"consent_version,omitempty"`

	Result *Result `json:"result,omitempty"`

	// BiometricRetention is how long the session's biometric values (the
	// reference embedding) outlive its end, from its API key's setting: 0
	// drops them with the verdict. See BiometricUntil.
	BiometricRetention time.Duration `json:"biometric_retention,omitempty"`

	// Reference is the face of the session's verify_image (liveness with verify): its
	// sealed embedding and grade, never the image. Nil without one. The embedding
	// lives while the session is pending and then for BiometricRetention (0: the
	// finish, cancel or expiry drops it, keeping the grade); it is never shown
	// through the API or logged.
	Reference *Reference `json:"reference,omitempty"`
}

// Reference is a reference face's embedding and its quality_for_recognition (high,
// medium or low). The embedding (faceid's 128 float32) is biometric data: the store
// holds it only sealed (internal/sealed: encrypted for this session under the label
// ReferenceLabel), never in the clear.
type Reference struct {
	Sealed  []byte `json:"sealed,omitempty"`
	Quality string `json:"quality"`
}

// ReferenceLabel is what a reference embedding is sealed as.
const ReferenceLabel = "reference"

// NumberOfGestures is GLAIR's number_of_gestures.
func (s *Session) NumberOfGestures() int { return len(s.Gestures) }

// StatusAt is the session's status as seen at now: a PENDING session whose
// expiry has passed is EXPIRED even before any store has rewritten it.
func (s *Session) StatusAt(now time.Time) Status {
	if s.Status == StatusPending && !now.Before(s.ExpiresAt) {
		return StatusExpired
	}
	return s.Status
}

// AttemptsLeft is how many more attempts the end user may start.
func (s *Session) AttemptsLeft() int { return max(0, s.MaxAttempts-s.AttemptsUsed) }

// Clone returns a deep copy, so that a store never shares memory with callers.
func (s *Session) Clone() *Session {
	if s == nil {
		return nil
	}
	c := *s
	c.Gestures = append([]Gesture(nil), s.Gestures...)
	if s.Result != nil {
		r := s.Result.clone()
		c.Result = &r
	}
	if s.Reference != nil {
		c.Reference = &Reference{Sealed: bytes.Clone(s.Reference.Sealed), Quality: s.Reference.Quality}
	}
	return &c
}

// Result is the signed-off outcome of a finished session.
type Result struct {
	// Status is GLAIR's outer result status: "success" or "failed".
	Status string `json:"status"`
	// GestureStatus is MATCH, NOT_MATCH, "face not detected" or
	// "too many faces detected".
	GestureStatus GestureStatus `json:"gesture_status"`
	// DetectedGesture is the last gesture the engine saw (GLAIR's field).
	DetectedGesture Gesture `json:"detected_gesture,omitempty"`

	// Livegate's additions.
	Gestures      []GestureOutcome `json:"gestures,omitempty"`
	LivenessScore *float64         `json:"liveness_score,omitempty"`
	AttackType    *string          `json:"attack_type,omitempty"`
	// Liveness is the breakdown behind LivenessScore: every signal's
	// sub-score and what it saw.
	Liveness *LivenessDetail `json:"liveness,omitempty"`
	Attempts int             `json:"attempts"`
	// SpoofPercentage is a passive session's GLAIR spoof_percentage (0–1):
	// 1 − LivenessScore/100 when a face was judged, 1 when none was. Nil
	// for active sessions.
	SpoofPercentage *float64 `json:"spoof_percentage,omitempty"`
	// Verify is the identity verdict of a session created with a verify_image (nil
	// otherwise): a verdict separate from liveness.
	Verify *VerifyResult `json:"verify_result,omitempty"`
}

// VerifyResult compares a session's live face with its reference (Azure's
// verifyResult): MatchConfidence 0–1 (0.5 at the threshold), IsIdentical when the
// embedding distance is under Threshold.
type VerifyResult struct {
	MatchConfidence float64 `json:"match_confidence"`
	IsIdentical     bool    `json:"is_identical"`
	Threshold       float64 `json:"threshold"`
}

// LivenessDetail is the per-signal breakdown of a liveness score.
type LivenessDetail struct {
	// PassMark is the score from which the session could succeed.
	PassMark float64 `json:"pass_mark"`
	// Decisive names the signal that capped the score; empty when none did.
	Decisive string           `json:"decisive,omitempty"`
	Signals  []LivenessSignal `json:"signals"`
}

// LivenessSignal is one signal of the breakdown.
type LivenessSignal struct {
	Name string `json:"name"`
	// Score is the sub-score 0–100, nil when the signal had no data.
	Score *float64 `json:"score"`
	// Attack is the attack type the signal points at, when below 50.
	Attack string `json:"attack,omitempty"`
	Reason string `json:"reason"`
}

func (d *LivenessDetail) clone() *LivenessDetail {
	if d == nil {
		return nil
	}
	c := *d
	c.Signals = make([]LivenessSignal, len(d.Signals))
	for i, s := range d.Signals {
		if s.Score != nil {
			v := *s.Score
			s.Score = &v
		}
		c.Signals[i] = s
	}
	return &c
}

func (r Result) clone() Result {
	c := r
	if r.Gestures != nil {
		c.Gestures = make([]GestureOutcome, len(r.Gestures))
		for i, g := range r.Gestures {
			c.Gestures[i] = g.clone()
		}
	}
	if r.LivenessScore != nil {
		v := *r.LivenessScore
		c.LivenessScore = &v
	}
	if r.AttackType != nil {
		v := *r.AttackType
		c.AttackType = &v
	}
	c.Liveness = r.Liveness.clone()
	if r.Verify != nil {
		v := *r.Verify
		c.Verify = &v
	}
	if r.SpoofPercentage != nil {
		v := *r.SpoofPercentage
		c.SpoofPercentage = &v
	}
	return c
}

// GestureOutcome is what happened to one asked gesture.
type GestureOutcome struct {
	Gesture Gesture       `json:"gesture"`
	Status  GestureStatus `json:"gesture_status"`
	At      time.Time     `json:"at"`

	// The timing evidence, on the server's clock: when the instruction
	// was sent, when the asked motion started, when its hold began and
	// when it matched; the reaction (onset − instruction − round-trip
	// time) and the round-trip time, in milliseconds; and why the gesture
	// failed ("early", "late", "wrong_gesture", "timeout", "screen",
	// "planar", "jump"). Absent when not measured.
	InstructedAt time.Time `json:"instructed_at,omitzero"`
	OnsetAt      time.Time `json:"onset_at,omitzero"`
	HeldAt       time.Time `json:"held_at,omitzero"`
	MatchedAt    time.Time `json:"matched_at,omitzero"`
	ReactionMS   *int64    `json:"reaction_ms,omitempty"`
	RTTMS        *int64    `json:"rtt_ms,omitempty"`
	Failure      string    `json:"failure,omitempty"`
}

func (g GestureOutcome) clone() GestureOutcome {
	c := g
	if g.ReactionMS != nil {
		v := *g.ReactionMS
		c.ReactionMS = &v
	}
	if g.RTTMS != nil {
		v := *g.RTTMS
		c.RTTMS = &v
	}
	return c
}

// AuditEntry records one attempt or one notable event of a session.
type AuditEntry struct {
	Time    time.Time `json:"time"`
	Attempt int       `json:"attempt,omitempty"`
	Event   string    `json:"event"`
	Outcome string    `json:"outcome,omitempty"`
	// Gesture is the gesture of an "instruction" or "gesture_failed"
	// entry (whose Outcome is the failure).
	Gesture   Gesture `json:"gesture,omitempty"`
	ClientIP  string  `json:"client_ip,omitempty"`
	UserAgent string  `json:"user_agent,omitempty"`

	// The hash chain (see audit.go). The store sets these fields when it
	// appends the entry; what a caller puts in them is replaced.

	// Seq is the entry's position in the session's trail, counting from 0
	// and including entries dropped since.
	Seq int64 `json:"seq"`
	// Dropped and DroppedHash are set on an "audit_truncated" checkpoint
	// only: how many entries the trail had dropped in all when it was
	// written (the Seq of the oldest entry kept), and the hash of the last
	// of them.
	Dropped     int64  `json:"dropped,omitempty"`
	DroppedHash string `json:"dropped_hash,omitempty"`
	// Prev is the previous entry's Hash, or AuditGenesis for the first.
	Prev string `json:"prev"`
	// Hash is the hex SHA-256 of the entry's canonical encoding
	// (AuditEntry.Canonical), Prev included.
	Hash string `json:"hash"`
}

// MaxAuditEntries bounds the audit trail kept per session. A trail that
// reaches it drops its oldest AuditDropBatch entries at once and records the
// drop in a checkpoint entry (see ChainAudit).
const MaxAuditEntries = 200
