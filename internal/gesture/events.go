package gesture

import (
	"time"

	"github.com/livegate/livegate/internal/session"
)

// This file holds what a Challenge reports: its events, hints and results.

// EventType names an event; the names are the JSON values.
type EventType string

// The events a Challenge emits.
const (
	// EventFaceLost: no face in the frame (also on the first frame if none).
	EventFaceLost EventType = "face_lost"
	// EventFaceFound: a face again after none.
	EventFaceFound EventType = "face_found"
	// EventTooManyFaces: more than one face appeared.
	EventTooManyFaces EventType = "too_many_faces"
	// EventTrackChanged: the tracked face is another one; the baseline is
	// taken again.
	EventTrackChanged EventType = "track_changed"
	// EventHint: feedback for the user, in Hint.
	EventHint EventType = "hint"
	// EventBaseline: the neutral face is measured; Baseline carries it.
	EventBaseline EventType = "baseline"
	// EventWait: the random wait before gesture number Index starts (the
	// baseline is taken, or the user is back at neutral after a match);
	// the user must hold still. It does not name the gesture. Only when
	// the challenge is paced (not ChallengeConfig.Unpaced).
	EventWait EventType = "wait"
	// EventGestureStart: Gesture (number Index) is now asked. A paced
	// challenge emits it when the wait is over; the caller that shows it
	// reports the time with Challenge.Instructed.
	EventGestureStart EventType = "gesture_start"
	// EventProgress: Progress (0..1) toward the asked gesture changed.
	EventProgress EventType = "progress"
	// EventMatch: the asked gesture was performed.
	EventMatch EventType = "match"
	// EventRejected: the asked turn was held but moved like a flat picture
	// (or the face jumped); evidence for the liveness score.
	EventRejected EventType = "rejected"
	// EventWrongGesture: a clearly different gesture, in Detected, was held.
	EventWrongGesture EventType = "wrong_gesture"
	// EventTimeout: the asked gesture was not performed in time; Status
	// tells why.
	EventTimeout EventType = "timeout"
	// EventDone: the attempt is over; Status is the GLAIR gesture_status
	// (the failure's reason is in the Result's GestureResult.Failure).
	EventDone EventType = "done"
)

// Hint is feedback the page shows the user.
type Hint string

// Hints.
const (
	HintMoveCloser Hint = "move_closer"
	HintMoreLight  Hint = "more_light"
	HintFaceCamera Hint = "face_camera"
	HintHoldStill  Hint = "hold_still"
	HintOneFace    Hint = "one_face"
	HintCenterFace Hint = "center_face"
)

var allHints = [...]Hint{HintMoveCloser, HintMoreLight, HintFaceCamera, HintHoldStill, HintOneFace, HintCenterFace}

// Signals are the measurements behind an event, relative values against
// the user's baseline where there is one.
type Signals struct {
	Faces int     `json:"faces"`
	Track int     `json:"track"`
	Yaw   float64 `json:"yaw"`
	Pitch float64 `json:"pitch"`
	Roll  float64 `json:"roll"`
	// DYaw and DPitch are yaw and pitch minus the baseline's.
	DYaw   float64 `json:"dyaw"`
	DPitch float64 `json:"dpitch"`
	// EyeLeft, EyeRight are the eye aspect ratios over the baseline's
	// (1 = as open as neutral); raw before the baseline.
	EyeLeft  float64 `json:"eye_left"`
	EyeRight float64 `json:"eye_right"`
	// ClosedLeft and ClosedRight are the eyes' closure scores (1 = at the
	// closed threshold).
	ClosedLeft  float64 `json:"closed_left"`
	ClosedRight float64 `json:"closed_right"`
	// Mouth is the mouth openness minus the baseline's (raw before it).
	Mouth float64 `json:"mouth"`
	// Score is the asked gesture's measure over its threshold (1 = at it).
	Score float64 `json:"score"`
	// HoldMS is how long the asked gesture's condition has held.
	HoldMS float64 `json:"hold_ms"`
	// Planar is the median homography residual over the held frames of a
	// turn, in inter-ocular distances; PlanarFloor the baseline's noise.
	Planar      float64 `json:"planar"`
	PlanarFloor float64 `json:"planar_floor"`
	// Parallax is the median nose parallax over the held frames along the
	// asked direction, in inter-ocular distances; ParallaxFloor the
	// baseline's noise.
	Parallax      float64 `json:"parallax"`
	ParallaxFloor float64 `json:"parallax_floor"`
	Quality       Quality `json:"quality"`
}

// Event is one thing a Challenge reports. Every event carries the frame's
// signals.
type Event struct {
	Type EventType `json:"event"`
	T    time.Time `json:"t"`
	// Index is the asked gesture's position (0-based); Gesture is its code.
	Index    int                   `json:"index"`
	Gesture  session.Gesture       `json:"gesture,omitempty"`
	Detected session.Gesture       `json:"detected,omitempty"`
	Hint     Hint                  `json:"hint,omitempty"`
	Progress float64               `json:"progress"`
	Status   session.GestureStatus `json:"status,omitempty"`
	// Reason explains a rejected or timed-out gesture: "planar", "jump".
	Reason  string  `json:"reason,omitempty"`
	Signals Signals `json:"signals"`
}

// Baseline is the user's neutral face.
type Baseline struct {
	At       time.Time `json:"at"`
	Yaw      float64   `json:"yaw"`
	Pitch    float64   `json:"pitch"`
	Roll     float64   `json:"roll"`
	EyeLeft  float64   `json:"eye_left"`
	EyeRight float64   `json:"eye_right"`
	// EyeContrastLeft, EyeContrastRight: the eyes' picture contrast.
	EyeContrastLeft  float64 `json:"eye_contrast_left"`
	EyeContrastRight float64 `json:"eye_contrast_right"`
	Mouth            float64 `json:"mouth"`
	// PlanarFloor is the mean homography residual of the baseline frames
	// against their mean: the landmark noise, in inter-ocular distances.
	PlanarFloor float64 `json:"planar_floor"`
	// ParallaxFloor is the mean nose parallax length of the baseline frames
	// against their mean.
	ParallaxFloor float64 `json:"parallax_floor"`
	// LineRatio is the median Quality.LineRatio of the baseline frames.
	LineRatio float64 `json:"line_ratio"`
	// Landmarks is the mean neutral face.
	Landmarks Landmarks `json:"-"`
}

// GestureResult is the outcome of one asked gesture, with the evidence
// behind it.
type GestureResult struct {
	Gesture session.Gesture       `json:"gesture"`
	Status  session.GestureStatus `json:"gesture_status,omitempty"`
	Started time.Time             `json:"started"`
	At      time.Time             `json:"at,omitzero"`
	// Crossed is when the matching hold began (the threshold crossing).
	Crossed time.Time `json:"crossed,omitzero"`
	// Planar is the median planarity residual of the matched turn.
	Planar float64 `json:"planar,omitempty"`
	// Parallax is the median nose parallax of the matched turn.
	Parallax float64 `json:"parallax,omitempty"`
	// PeakYaw and PeakPitch are the largest |yaw|, |pitch| from the
	// baseline seen while this gesture was asked.
	PeakYaw   float64 `json:"peak_yaw"`
	PeakPitch float64 `json:"peak_pitch"`
	// Rejected counts turns held long enough that moved like a flat
	// picture; Screen counts gestures held on what looked like a display;
	// Jumps counts pose jumps; Wrong counts wrong gestures; TrackChanges
	// counts changes of the tracked face.
	Rejected     int `json:"rejected"`
	Screen       int `json:"screen"`
	Jumps        int `json:"jumps"`
	Wrong        int `json:"wrong"`
	TrackChanges int `json:"track_changes"`

	// The timing evidence of a paced challenge, all on the server's clock
	// (frame arrival times, not the page's capture times): when the
	// instruction was sent, when the asked motion started (its measure
	// last left the neutral band), when its hold began and when it
	// matched. ReactionMS is onset − instructed − RTT (the RTT capped at
	// 1 s), RTTMS the connection's round-trip time then.
	InstructedAt time.Time `json:"instructed_at,omitzero"`
	OnsetAt      time.Time `json:"onset_at,omitzero"`
	HeldAt       time.Time `json:"held_at,omitzero"`
	MatchedAt    time.Time `json:"matched_at,omitzero"`
	ReactionMS   *int64    `json:"reaction_ms,omitempty"`
	RTTMS        *int64    `json:"rtt_ms,omitempty"`
	// Failure is why the gesture failed: "early" (a gesture during the
	// wait, or the motion started before the instruction or sooner than
	// ReactionMin after it), "late" (no motion within ReactionMax),
	// "wrong_gesture", "timeout", or, for a timeout after the asked
	// gesture was held but rejected, "screen", "planar" or "jump".
	Failure string `json:"failure,omitempty"`
}

// Result is a finished (or unfinished) attempt.
type Result struct {
	// Status is the GLAIR gesture_status; empty while running.
	Status session.GestureStatus `json:"gesture_status,omitempty"`
	// Detected is the last gesture the engine saw (GLAIR's
	// detected_gesture).
	Detected session.Gesture `json:"detected_gesture,omitempty"`
	Gestures []GestureResult `json:"gestures"`
	Baseline Baseline        `json:"baseline"`
	// Evidence is the trace behind each gesture reached (see
	// Challenge.Evidence), once the attempt is over.
	Evidence []session.GestureEvidence `json:"evidence,omitempty"`
}

// Outcomes converts the per-gesture results to the session's form.
func (r *Result) Outcomes() []session.GestureOutcome {
	out := make([]session.GestureOutcome, 0, len(r.Gestures))
	for _, g := range r.Gestures {
		if g.Status != "" {
			out = append(out, session.GestureOutcome{
				Gesture: g.Gesture, Status: g.Status, At: g.At,
				InstructedAt: g.InstructedAt, OnsetAt: g.OnsetAt, HeldAt: g.HeldAt, MatchedAt: g.MatchedAt,
				ReactionMS: g.ReactionMS, RTTMS: g.RTTMS, Failure: g.Failure,
			})
		}
	}
	return out
}
