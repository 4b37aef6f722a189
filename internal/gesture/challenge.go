package gesture

import (
	"math"
	"slices"
	"time"

	"github.com/livegate/livegate/internal/session"
)

// ChallengeConfig holds the rules of a Challenge. Zero fields take the
// values of DefaultChallengeConfig.
type ChallengeConfig struct {
	// GestureTimeout is the time allowed for each gesture, counted from the
	// end of the previous one (the first one from the first observation,
	// baseline included). Default 10 s.
	GestureTimeout time.Duration
	// AttemptTimeout bounds the whole attempt; 0 means no bound but the
	// per-gesture one.
	AttemptTimeout time.Duration

	// BaselineHold and BaselineFrames: how long, and over how many frames,
	// the user must hold a still, frontal, neutral face first. Default
	// 400 ms and 4 frames.
	BaselineHold   time.Duration
	BaselineFrames int
	// NeutralYaw and NeutralPitch bound the absolute pose of the baseline,
	// degrees. Default 15 and 20 (a laptop camera sits below the eyes).
	NeutralYaw, NeutralPitch float64

	// HoldTime and HoldFrames: a gesture counts only when its condition has
	// held for both, without a break. Default 130 ms and 3 frames: at
	// 15 frames/s the third frame comes 133 ms after the first.
	HoldTime   time.Duration
	HoldFrames int
	// EyeHoldTime is HoldTime for the eye closures (HEAD_00, HEAD_01,
	// HEAD_10): longer than the lids stay shut in a natural blink (about
	// 100–200 ms), so that a blink does not pass for closed eyes. Default
	// 250 ms.
	EyeHoldTime time.Duration
	// WrongHold is how long another gesture must be held before it counts
	// as a wrong gesture. Default twice HoldTime.
	WrongHold time.Duration

	// Thresholds relative to the baseline, each with its release level
	// (hysteresis): a condition turns on past On and off only below Off.
	// Turn (yaw) and Tilt (pitch) are degrees, default 18/10 and 12/7.
	TurnOn, TurnOff float64
	TiltOn, TiltOff float64
	// EyeClosedOn and EyeClosedOff are eye aspect ratios relative to the
	// baseline's: closed below 0.55, open again above 0.75. When the
	// observation carries the eyes' picture contrast, the closure score
	// combines the EAR's and the contrast's (the length of the vector of
	// their positive parts), the contrast's reaching the threshold at
	// EyeContrastClosed (default 0.75) of the baseline's: either cue alone can
	// show a closed eye (the landmark model hides most winks from the EAR;
	// some eyes keep their contrast when closed), and two weak ones add up.
	EyeClosedOn, EyeClosedOff float64
	EyeContrastClosed         float64
	// MouthOn and MouthOff are increases of mouth openness over the
	// baseline: open above +0.18, closed again below +0.10.
	MouthOn, MouthOff float64

	// A head turn or tilt counts only if it moved like a 3D head. Two
	// homography tests against the neutral face decide, each on the median
	// over the held frames. The nose parallax (NoseParallax) along the asked
	// direction must reach ParallaxMin, ParallaxPerDegree times the angle
	// turned, and ParallaxFactor times its baseline noise (defaults 0.04,
	// 0.003 per degree, 3; a real head gives about 0.006 per degree, a flat
	// picture only noise in any direction). And the planarity residual
	// (PlanarResidual) must reach PlanarFactor (default 1.5) times its
	// baseline noise.
	ParallaxMin, ParallaxPerDegree, ParallaxFactor float64
	PlanarFactor                                   float64
	// MaxAngularSpeed, degrees per second: a faster change of yaw or pitch
	// between two frames is a jump (a swapped picture or a tracking error),
	// not a motion; it resets the gesture and the user must come back to
	// neutral. Default 450.
	MaxAngularSpeed float64
	// ScreenLineRatio: when the median Quality.LineRatio of the baseline or
	// of a held gesture reaches it, the face is taken for a display
	// replay and nothing matches. Default 2.2; negative disables.
	ScreenLineRatio float64
	// MaxWrong is how many wrong gestures end the attempt with NOT_MATCH;
	// default 3, negative for no limit.
	MaxWrong int

	// Quality levels below which hints are given.
	MinFaceWidth  float64 // default 0.12 of the frame width
	MinBrightness float64 // default 50 grey levels
	MinSharpness  float64 // default 0: no blur hint
	// HintRepeat is the least time between two hints of the same kind.
	// Default 2 s.
	HintRepeat time.Duration
}

// DefaultChallengeConfig returns the default rules.
func DefaultChallengeConfig() ChallengeConfig {
	return ChallengeConfig{
		GestureTimeout:    10 * time.Second,
		BaselineHold:      400 * time.Millisecond,
		BaselineFrames:    4,
		NeutralYaw:        15,
		NeutralPitch:      20,
		HoldTime:          130 * time.Millisecond,
		HoldFrames:        3,
		EyeHoldTime:       200 * time.Millisecond,
		WrongHold:         260 * time.Millisecond,
		TurnOn:            18,
		TurnOff:           10,
		TiltOn:            12,
		TiltOff:           7,
		EyeClosedOn:       0.55,
		EyeClosedOff:      0.75,
		EyeContrastClosed: 0.75,
		MouthOn:           0.18,
		MouthOff:          0.10,
		ParallaxMin:       0.04,
		ParallaxPerDegree: 0.003,
		ParallaxFactor:    3,
		PlanarFactor:      1.5,
		MaxAngularSpeed:   450,
		MaxWrong:          3,
		ScreenLineRatio:   2.2,
		MinFaceWidth:      0.12,
		MinBrightness:     50,
		HintRepeat:        2 * time.Second,
	}
}

func (c ChallengeConfig) withDefaults() ChallengeConfig {
	d := DefaultChallengeConfig()
	setD := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	setF := func(v *float64, def float64) {
		if *v == 0 {
			*v = def
		}
	}
	setI := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	setD(&c.GestureTimeout, d.GestureTimeout)
	setD(&c.BaselineHold, d.BaselineHold)
	setI(&c.BaselineFrames, d.BaselineFrames)
	setF(&c.NeutralYaw, d.NeutralYaw)
	setF(&c.NeutralPitch, d.NeutralPitch)
	setD(&c.HoldTime, d.HoldTime)
	setI(&c.HoldFrames, d.HoldFrames)
	setD(&c.EyeHoldTime, d.EyeHoldTime)
	if c.WrongHold == 0 {
		c.WrongHold = 2 * c.HoldTime
	}
	setF(&c.TurnOn, d.TurnOn)
	setF(&c.TurnOff, d.TurnOff)
	setF(&c.TiltOn, d.TiltOn)
	setF(&c.TiltOff, d.TiltOff)
	setF(&c.EyeClosedOn, d.EyeClosedOn)
	setF(&c.EyeClosedOff, d.EyeClosedOff)
	setF(&c.EyeContrastClosed, d.EyeContrastClosed)
	setF(&c.MouthOn, d.MouthOn)
	setF(&c.MouthOff, d.MouthOff)
	setF(&c.ParallaxMin, d.ParallaxMin)
	setF(&c.ParallaxPerDegree, d.ParallaxPerDegree)
	setF(&c.ParallaxFactor, d.ParallaxFactor)
	setF(&c.PlanarFactor, d.PlanarFactor)
	setF(&c.MaxAngularSpeed, d.MaxAngularSpeed)
	setI(&c.MaxWrong, d.MaxWrong)
	setF(&c.ScreenLineRatio, d.ScreenLineRatio)
	setF(&c.MinFaceWidth, d.MinFaceWidth)
	setF(&c.MinBrightness, d.MinBrightness)
	setD(&c.HintRepeat, d.HintRepeat)
	return c
}

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
	// EventGestureStart: Gesture (number Index) is now asked.
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
	// EventDone: the attempt is over; Status is the GLAIR gesture_status.
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
}

// Outcomes converts the per-gesture results to the session's form.
func (r *Result) Outcomes() []session.GestureOutcome {
	out := make([]session.GestureOutcome, 0, len(r.Gestures))
	for _, g := range r.Gestures {
		if g.Status != "" {
			out = append(out, session.GestureOutcome{Gesture: g.Gesture, Status: g.Status, At: g.At})
		}
	}
	return out
}

// class is a detectable gesture; classes index per-gesture state.
type class int

const (
	clsLeft class = iota
	clsRight
	clsUp
	clsDown
	clsEyes00
	clsEye01
	clsEye10
	clsEyes11
	clsMouthOpen
	clsMouthClosed
	numClasses
)

var classGesture = [numClasses]session.Gesture{
	session.HeadLeft, session.HeadRight, session.HeadUp, session.HeadDown,
	session.HeadEyesClosed, session.HeadRightClose, session.HeadLeftClose, session.HeadEyesOpen,
	session.HeadOpenMouth, session.HeadCloseMouth,
}

func classOf(g session.Gesture) (class, bool) {
	for c, cg := range classGesture {
		if cg == g {
			return class(c), true
		}
	}
	return 0, false
}

func (c class) isTurn() bool { return c <= clsDown }

func (c class) isEye() bool { return c >= clsEyes00 && c <= clsEyes11 }

type phase int

const (
	phaseBaseline phase = iota
	phaseGesture
	phaseDone
)

const maxBaselineFrames = 16

// Challenge is one session's gesture state machine. Feed it observations in
// time order; it uses only their times (no wall clock, no goroutines), so
// the same observations always give the same events. Not safe for
// concurrent use.
type Challenge struct {
	cfg     ChallengeConfig
	asked   []class
	results []GestureResult
	status  session.GestureStatus
	detect  session.Gesture
	phase   phase
	idx     int
	events  []Event

	started      bool
	attemptStart time.Time
	gestureStart time.Time
	nFrames      int
	nNoFace      int
	nMulti       int

	prevFaces int
	track     int

	bl        Baseline
	haveBL    bool
	blStart   time.Time
	blN       int
	blTrack   int
	blYaw0    float64
	blPitch0  float64
	blSum     [8]float64
	blLmSum   [NumLandmarks][2]float64
	blFrames  [maxBaselineFrames]Landmarks
	unstable  int
	armed     bool
	announced bool
	neutralN  int
	notArmed  time.Time
	closedL   bool
	closedR   bool
	mouthOpen bool
	turnOn    [4]bool // left, right, up, down with hysteresis

	holdN     [numClasses]int
	holdStart [numClasses]time.Time
	wrongDone [numClasses]bool
	planar    [64]float64
	parallax  [64]float64
	angle     [64]float64
	planarN   int
	lines     [64]float64
	linesN    int
	blLines   [maxBaselineFrames]float64
	rejected  bool

	prevValid    bool
	pendingJump  bool
	jumpT        time.Time
	jumpYaw      float64
	jumpPitch    float64
	prevT        time.Time
	prevYaws     [3]float64
	prevPitches  [3]float64
	lastProgress float64

	hintRun  [len(allHints)]int
	hintLast [len(allHints)]time.Time
	hintSent [len(allHints)]bool

	sig Signals
}

// NewChallenge starts a challenge for the asked gestures, in order. Unknown
// codes are skipped (validate them with session.ParseGesture first).
func NewChallenge(gestures []session.Gesture, cfg ChallengeConfig) *Challenge {
	c := &Challenge{cfg: cfg.withDefaults(), prevFaces: -1, events: make([]Event, 0, 16)}
	for _, g := range gestures {
		if k, ok := classOf(g); ok {
			c.asked = append(c.asked, k)
			c.results = append(c.results, GestureResult{Gesture: g})
		}
	}
	if len(c.asked) == 0 {
		c.phase = phaseDone
		c.status = session.GestureNotMatch
	}
	return c
}

// Done reports whether the attempt is over.
func (c *Challenge) Done() bool { return c.phase == phaseDone }

// Result returns the outcome so far; Status is set once Done.
func (c *Challenge) Result() Result {
	return Result{
		Status:   c.status,
		Detected: c.detect,
		Gestures: slices.Clone(c.results),
		Baseline: c.bl,
	}
}

// Current returns the index and code of the gesture being asked, and false
// when done.
func (c *Challenge) Current() (int, session.Gesture, bool) {
	if c.phase == phaseDone || c.idx >= len(c.asked) {
		return c.idx, "", false
	}
	return c.idx, classGesture[c.asked[c.idx]], true
}

func (c *Challenge) emit(t time.Time, typ EventType) *Event {
	e := Event{Type: typ, T: t, Index: c.idx, Signals: c.sig}
	if c.idx < len(c.asked) {
		e.Gesture = classGesture[c.asked[c.idx]]
	}
	c.events = append(c.events, e)
	return &c.events[len(c.events)-1]
}

// Observe feeds one observation and returns the events it caused. The
// returned slice is reused by the next call. After the attempt is over it
// returns nil.
func (c *Challenge) Observe(o Observation) []Event {
	if c.phase == phaseDone {
		return nil
	}
	c.events = c.events[:0]
	t := o.T
	if !c.started {
		c.started = true
		c.attemptStart, c.gestureStart = t, t
		c.results[0].Started = t
	}
	c.signals(&o)

	// Presence.
	faces := o.Faces
	switch {
	case faces == 0 && c.prevFaces != 0:
		c.emit(t, EventFaceLost)
	case faces > 0 && c.prevFaces <= 0:
		c.emit(t, EventFaceFound)
	}
	if faces > 1 && c.prevFaces <= 1 {
		c.emit(t, EventTooManyFaces)
	}
	c.prevFaces = faces
	c.nFrames++
	switch {
	case faces == 0:
		c.nNoFace++
	case faces > 1:
		c.nMulti++
	}
	if faces > 0 && c.track != 0 && o.Track != c.track {
		c.emit(t, EventTrackChanged)
		if c.idx < len(c.results) {
			c.results[c.idx].TrackChanges++
		}
		c.resetHolds()
		c.prevValid = false
		c.haveBL = false
		c.blN = 0
		if c.phase == phaseGesture {
			c.phase = phaseBaseline
		}
	}
	if faces > 0 {
		c.track = o.Track
	}

	c.hints(&o)

	switch c.phase {
	case phaseBaseline:
		c.baseline(&o)
	case phaseGesture:
		c.gesture(&o)
	}
	if c.phase != phaseDone {
		c.checkTimeout(t)
	}
	return c.events
}

func (c *Challenge) signals(o *Observation) {
	s := Signals{
		Faces: o.Faces, Track: o.Track,
		Yaw: o.Yaw, Pitch: o.Pitch, Roll: o.Roll,
		EyeLeft: o.EyeLeft, EyeRight: o.EyeRight, Mouth: o.Mouth,
		Quality: o.Quality,
	}
	if o.Faces == 0 {
		s = Signals{Quality: o.Quality}
	} else if c.haveBL {
		s.DYaw, s.DPitch = o.Yaw-c.bl.Yaw, o.Pitch-c.bl.Pitch
		s.EyeLeft, s.EyeRight = o.EyeLeft/c.bl.EyeLeft, o.EyeRight/c.bl.EyeRight
		s.Mouth = o.Mouth - c.bl.Mouth
		s.PlanarFloor = c.bl.PlanarFloor
		s.ParallaxFloor = c.bl.ParallaxFloor
	}
	c.sig = s
}

func (c *Challenge) hints(o *Observation) {
	frontal := math.Abs(o.Yaw) <= c.cfg.NeutralYaw && math.Abs(o.Pitch) <= c.cfg.NeutralPitch
	one := o.Faces == 1
	for i, h := range allHints {
		var on bool
		switch h {
		case HintOneFace:
			on = o.Faces > 1
		case HintMoveCloser:
			on = one && o.Quality.FaceWidth < c.cfg.MinFaceWidth
		case HintMoreLight:
			on = one && o.Quality.Brightness < c.cfg.MinBrightness
		case HintCenterFace:
			on = one && o.Quality.Outside
		case HintHoldStill:
			on = one && (o.Quality.Sharpness < c.cfg.MinSharpness || (c.phase == phaseBaseline && c.unstable >= 3))
		case HintFaceCamera:
			on = one && ((c.phase == phaseBaseline && !frontal) ||
				(c.phase == phaseGesture && !c.armed && !c.notArmed.IsZero() && o.T.Sub(c.notArmed) > 1500*time.Millisecond))
		}
		if !on {
			c.hintRun[i] = 0
			continue
		}
		c.hintRun[i]++
		if c.hintRun[i] >= 2 && (!c.hintSent[i] || o.T.Sub(c.hintLast[i]) >= c.cfg.HintRepeat) {
			c.hintSent[i], c.hintLast[i] = true, o.T
			c.emit(o.T, EventHint).Hint = h
		}
	}
}

// baseline collects a still, frontal, neutral face.
func (c *Challenge) baseline(o *Observation) {
	ok := o.Faces == 1 &&
		math.Abs(o.Yaw) <= c.cfg.NeutralYaw && math.Abs(o.Pitch) <= c.cfg.NeutralPitch &&
		min(o.EyeLeft, o.EyeRight) >= 0.1 && o.Mouth <= 0.25
	if !ok {
		c.blN = 0
		return
	}
	if c.blN > 0 && (o.Track != c.blTrack ||
		math.Abs(o.Yaw-c.blYaw0) > 4 || math.Abs(o.Pitch-c.blPitch0) > 4) {
		c.blN = 0
		c.unstable++
	}
	if c.blN == 0 {
		c.blStart, c.blTrack, c.blYaw0, c.blPitch0 = o.T, o.Track, o.Yaw, o.Pitch
		c.blSum = [8]float64{}
		c.blLmSum = [NumLandmarks][2]float64{}
	}
	c.blSum[0] += o.Yaw
	c.blSum[1] += o.Pitch
	c.blSum[2] += o.Roll
	c.blSum[3] += o.EyeLeft
	c.blSum[4] += o.EyeRight
	c.blSum[5] += o.Mouth
	c.blSum[6] += o.EyeContrastLeft
	c.blSum[7] += o.EyeContrastRight
	for i, p := range o.Landmarks {
		c.blLmSum[i][0] += float64(p.X)
		c.blLmSum[i][1] += float64(p.Y)
	}
	if c.blN < maxBaselineFrames {
		c.blFrames[c.blN] = o.Landmarks
		c.blLines[c.blN] = o.Quality.LineRatio
	}
	c.blN++
	if c.blN < c.cfg.BaselineFrames || o.T.Sub(c.blStart) < c.cfg.BaselineHold {
		return
	}
	n := float64(c.blN)
	b := Baseline{
		At: o.T, Yaw: c.blSum[0] / n, Pitch: c.blSum[1] / n, Roll: c.blSum[2] / n,
		EyeLeft: c.blSum[3] / n, EyeRight: c.blSum[4] / n, Mouth: c.blSum[5] / n,
		EyeContrastLeft: c.blSum[6] / n, EyeContrastRight: c.blSum[7] / n,
	}
	for i := range b.Landmarks {
		b.Landmarks[i] = Point{float32(c.blLmSum[i][0] / n), float32(c.blLmSum[i][1] / n)}
	}
	m := min(c.blN, maxBaselineFrames)
	for i := 0; i < m; i++ {
		b.PlanarFloor += PlanarResidual(&b.Landmarks, &c.blFrames[i]) / float64(m)
		px, py := NoseParallax(&b.Landmarks, &c.blFrames[i])
		b.ParallaxFloor += math.Hypot(px, py) / float64(m)
	}
	b.LineRatio = median(c.blLines[:m])
	c.bl, c.haveBL = b, true
	c.unstable = 0
	c.phase = phaseGesture
	c.armed = true
	c.resetHolds()
	c.prevValid = false
	c.signals(o)
	c.emit(o.T, EventBaseline)
	// A new baseline after a track change does not ask the gesture again.
	if !c.announced {
		c.announced = true
		c.emit(o.T, EventGestureStart)
	}
}

func (c *Challenge) resetHolds() {
	c.holdN = [numClasses]int{}
	c.planarN = 0
	c.linesN = 0
	c.rejected = false
	c.lastProgress = 0
}

func (c *Challenge) gesture(o *Observation) {
	t := o.T
	res := &c.results[c.idx]
	if o.Faces != 1 {
		// No face, or several: nothing counts, holds restart.
		c.resetHolds()
		c.prevValid = false
		return
	}
	dy, dp := o.Yaw-c.bl.Yaw, o.Pitch-c.bl.Pitch
	sl := c.closure(o.EyeLeft, c.bl.EyeLeft, o.EyeContrastLeft, c.bl.EyeContrastLeft)
	sr := c.closure(o.EyeRight, c.bl.EyeRight, o.EyeContrastRight, c.bl.EyeContrastRight)
	c.sig.ClosedLeft, c.sig.ClosedRight = sl, sr
	dm := o.Mouth - c.bl.Mouth
	res.PeakYaw = math.Max(res.PeakYaw, math.Abs(dy))
	res.PeakPitch = math.Max(res.PeakPitch, math.Abs(dp))

	// Jumps: faster than a head turns. A lone outlier frame (a landmark
	// glitch) is skipped; a jump that stays (a swapped picture) resets the
	// gesture and the user must come back to neutral.
	if c.prevValid {
		// The limit is for one frame interval, even after a skipped frame.
		last := c.prevT
		if c.pendingJump {
			last = c.jumpT
		}
		lim := c.cfg.MaxAngularSpeed * math.Max(t.Sub(last).Seconds(), 1.0/30)
		far := func(yaw, pitch float64) bool {
			return math.Abs(o.Yaw-yaw) > lim || math.Abs(o.Pitch-pitch) > lim
		}
		// The reference is the median of the last three accepted frames,
		// so that one bad frame accepted does not make the next good one a
		// jump.
		ry, rp := med3(c.prevYaws), med3(c.prevPitches)
		switch {
		case !far(ry, rp):
			c.pendingJump = false // the skipped frame, if any, was a glitch
		case c.pendingJump && !far(c.jumpYaw, c.jumpPitch):
			c.pendingJump = false
			res.Jumps++
			c.resetHolds()
			c.disarm(t)
			c.emit(t, EventRejected).Reason = "jump"
		default:
			c.pendingJump = true
			c.jumpT, c.jumpYaw, c.jumpPitch = t, o.Yaw, o.Pitch
			return
		}
	}
	if !c.prevValid {
		c.prevYaws = [3]float64{o.Yaw, o.Yaw, o.Yaw}
		c.prevPitches = [3]float64{o.Pitch, o.Pitch, o.Pitch}
	}
	c.prevValid, c.prevT = true, t
	c.prevYaws = [3]float64{c.prevYaws[1], c.prevYaws[2], o.Yaw}
	c.prevPitches = [3]float64{c.prevPitches[1], c.prevPitches[2], o.Pitch}

	// Hysteresis states.
	hyst := func(on *bool, v, hi, lo float64) {
		if v >= hi {
			*on = true
		} else if v < lo {
			*on = false
		}
	}
	hyst(&c.turnOn[0], dy, c.cfg.TurnOn, c.cfg.TurnOff)
	hyst(&c.turnOn[1], -dy, c.cfg.TurnOn, c.cfg.TurnOff)
	hyst(&c.turnOn[2], dp, c.cfg.TiltOn, c.cfg.TiltOff)
	hyst(&c.turnOn[3], -dp, c.cfg.TiltOn, c.cfg.TiltOff)
	openLevel := (1 - c.cfg.EyeClosedOff) / (1 - c.cfg.EyeClosedOn)
	hyst(&c.closedL, sl, 1, openLevel)
	hyst(&c.closedR, sr, 1, openLevel)
	hyst(&c.mouthOpen, dm, c.cfg.MouthOn, c.cfg.MouthOff)
	turning := math.Abs(dy) > c.cfg.TurnOff || math.Abs(dp) > c.cfg.TiltOff

	var active [numClasses]bool
	copy(active[:4], c.turnOn[:])
	// Eyes are not judged while the head is turned: looking down narrows
	// them.
	if !turning {
		active[clsEyes00] = c.closedL && c.closedR
		active[clsEye01] = c.closedR && !c.closedL
		active[clsEye10] = c.closedL && !c.closedR
	}
	active[clsEyes11] = !c.closedL && !c.closedR && !turning
	// The mouth is judged whatever the pose: opening it moves the chin and
	// lips, which tilts the pose estimate a little.
	active[clsMouthOpen] = c.mouthOpen
	active[clsMouthClosed] = !c.mouthOpen

	for k := range active {
		if active[k] {
			if c.holdN[k] == 0 {
				c.holdStart[k] = t
			}
			c.holdN[k]++
			if k <= int(clsMouthOpen) && k != int(clsEyes11) {
				c.detect = classGesture[k]
			}
		} else {
			c.holdN[k] = 0
			c.wrongDone[k] = false
		}
	}

	// Coming back to neutral re-arms.
	neutral := !turning && !c.closedL && !c.closedR && !c.mouthOpen
	if !c.armed {
		if neutral {
			c.neutralN++
		} else {
			c.neutralN = 0
		}
		if c.neutralN >= 2 {
			c.armed = true
			c.notArmed = time.Time{}
		}
	}
	if !c.armed {
		return
	}

	g := c.asked[c.idx]
	score := c.score(g, dy, dp, sl, sr, dm)
	c.sig.Score = score
	held := time.Duration(0)
	if active[g] {
		held = t.Sub(c.holdStart[g])
	}
	c.sig.HoldMS = float64(held) / float64(time.Millisecond)

	if g.isTurn() {
		if active[g] {
			if c.planarN < len(c.planar) {
				c.planar[c.planarN] = PlanarResidual(&c.bl.Landmarks, &o.Landmarks)
				px, py := NoseParallax(&c.bl.Landmarks, &o.Landmarks)
				var along, angle float64
				switch g {
				case clsLeft:
					along, angle = px, dy
				case clsRight:
					along, angle = -px, -dy
				case clsUp:
					along, angle = -py, dp
				case clsDown:
					along, angle = py, -dp
				}
				c.parallax[c.planarN], c.angle[c.planarN] = along, angle
				c.planarN++
			}
		} else {
			c.planarN = 0
			c.rejected = false
		}
		if c.planarN > 0 {
			c.sig.Planar = median(c.planar[:c.planarN])
			c.sig.Parallax = median(c.parallax[:c.planarN])
		}
	}

	if active[g] {
		if c.linesN < len(c.lines) {
			c.lines[c.linesN] = o.Quality.LineRatio
			c.linesN++
		}
	} else {
		c.linesN = 0
		c.rejected = false
	}
	holdTime := c.cfg.HoldTime
	if g.isEye() && g != clsEyes11 {
		holdTime = c.cfg.EyeHoldTime
	}
	if active[g] && c.holdN[g] >= c.cfg.HoldFrames && held >= holdTime {
		if c.onScreen() {
			if !c.rejected {
				c.rejected = true
				res.Screen++
				c.emit(t, EventRejected).Reason = "screen"
			}
		} else if g.isTurn() && !c.is3D() {
			if !c.rejected {
				c.rejected = true
				res.Rejected++
				c.emit(t, EventRejected).Reason = "planar"
			}
		} else {
			c.match(o, g)
			return
		}
	}

	// Wrong gestures: another clear gesture held for WrongHold, while the
	// asked one is not under way: a turn to the left can read as a little
	// up too, an open mouth tilts the pose estimate; only between eye
	// gestures (one eye asked, both closed) does the wrong one count even
	// then.
	for k := class(0); k < numClasses; k++ {
		if (score >= 0.5 && !(g.isEye() && k.isEye())) || k == g || !active[k] || c.wrongDone[k] || !c.isWrong(g, k) {
			continue
		}
		if c.holdN[k] >= c.cfg.HoldFrames && t.Sub(c.holdStart[k]) >= c.cfg.WrongHold {
			c.wrongDone[k] = true
			res.Wrong++
			c.detect = classGesture[k]
			c.emit(t, EventWrongGesture).Detected = classGesture[k]
			c.disarm(t)
			if c.cfg.MaxWrong > 0 && res.Wrong >= c.cfg.MaxWrong {
				c.finish(t, session.GestureNotMatch)
			}
			return
		}
	}

	p := 0.7 * clamp01(score)
	if active[g] {
		hf := math.Min(float64(c.holdN[g])/float64(c.cfg.HoldFrames), float64(held)/float64(holdTime))
		p += 0.3 * clamp01(hf)
	}
	p = math.Min(p, 0.99)
	if math.Abs(p-c.lastProgress) >= 0.05 || (p == 0 && c.lastProgress != 0) {
		c.lastProgress = p
		c.emit(t, EventProgress).Progress = p
	}
}

// onScreen reports whether the face looks like a display replay: fine
// horizontal line structure in the baseline or in the held frames.
func (c *Challenge) onScreen() bool {
	lim := c.cfg.ScreenLineRatio
	if lim <= 0 {
		return false
	}
	return c.bl.LineRatio >= lim || (c.linesN > 0 && median(c.lines[:c.linesN]) >= lim)
}

func (c *Challenge) is3D() bool {
	if c.planarN == 0 {
		return false
	}
	n := c.planarN
	pl, px, ang := median(c.planar[:n]), median(c.parallax[:n]), median(c.angle[:n])
	return pl >= c.cfg.PlanarFactor*c.bl.PlanarFloor &&
		px >= c.cfg.ParallaxMin && px >= c.cfg.ParallaxPerDegree*ang && px >= c.cfg.ParallaxFactor*c.bl.ParallaxFloor
}

// isWrong reports whether performing k while g is asked is a clearly
// different gesture. Partial forms of the asked one (one eye while both are
// asked) and neutral states are not.
func (c *Challenge) isWrong(g, k class) bool {
	switch k {
	case clsEyes11, clsMouthClosed:
		return false
	case clsEye01, clsEye10:
		if g == clsEyes00 {
			return false
		}
	}
	switch g {
	case clsEyes11:
		return k.isTurn() || k == clsMouthOpen
	case clsMouthClosed:
		return k != clsMouthOpen
	}
	return true
}

// closure is an eye's closure score, 1 at the closed threshold: from the
// eye aspect ratio against the baseline's and, when both frames have one,
// from the eye's picture contrast against the baseline's.
func (c *Challenge) closure(ear, baseEAR, con, baseCon float64) float64 {
	s := (1 - ear/baseEAR) / (1 - c.cfg.EyeClosedOn)
	if con > 0 && baseCon > 0 {
		// Two weak cues together make a strong one: the length of the
		// vector of their positive parts.
		sc := (1 - con/baseCon) / (1 - c.cfg.EyeContrastClosed)
		s = math.Hypot(max(s, 0), max(sc, 0))
	}
	return s
}

func (c *Challenge) score(g class, dy, dp, sl, sr, dm float64) float64 {
	switch g {
	case clsLeft:
		return dy / c.cfg.TurnOn
	case clsRight:
		return -dy / c.cfg.TurnOn
	case clsUp:
		return dp / c.cfg.TiltOn
	case clsDown:
		return -dp / c.cfg.TiltOn
	case clsEyes00:
		return math.Min(sl, sr)
	case clsEye01:
		return sr
	case clsEye10:
		return sl
	case clsEyes11:
		return (1 - c.cfg.EyeClosedOff) / (1 - c.cfg.EyeClosedOn) / math.Max(math.Max(sl, sr), 1e-3)
	case clsMouthOpen:
		return dm / c.cfg.MouthOn
	case clsMouthClosed:
		return c.cfg.MouthOff / math.Max(dm, 1e-3)
	}
	return 0
}

func (c *Challenge) disarm(t time.Time) {
	c.armed = false
	c.neutralN = 0
	if c.notArmed.IsZero() {
		c.notArmed = t
	}
}

func (c *Challenge) match(o *Observation, g class) {
	t := o.T
	res := &c.results[c.idx]
	res.Status = session.GestureMatch
	res.At = t
	res.Crossed = c.holdStart[g]
	if g.isTurn() {
		res.Planar = median(c.planar[:c.planarN])
		res.Parallax = median(c.parallax[:c.planarN])
	}
	c.detect = classGesture[g]
	e := c.emit(t, EventMatch)
	e.Progress = 1
	e.Detected = classGesture[g]
	e.Status = session.GestureMatch
	c.idx++
	c.resetHolds()
	c.disarm(t)
	if c.idx == len(c.asked) {
		c.finish(t, session.GestureMatch)
		return
	}
	c.gestureStart = t
	c.nFrames, c.nNoFace, c.nMulti = 0, 0, 0
	c.results[c.idx].Started = t
	c.emit(t, EventGestureStart)
}

func (c *Challenge) checkTimeout(t time.Time) {
	gestureOver := t.Sub(c.gestureStart) >= c.cfg.GestureTimeout
	attemptOver := c.cfg.AttemptTimeout > 0 && t.Sub(c.attemptStart) >= c.cfg.AttemptTimeout
	if !gestureOver && !attemptOver {
		return
	}
	st := session.GestureNotMatch
	switch {
	case c.prevFaces == 0 || 2*c.nNoFace >= c.nFrames:
		st = session.GestureNoFace
	case c.prevFaces > 1 || 2*c.nMulti >= c.nFrames:
		st = session.GestureTooManyFaces
	}
	e := c.emit(t, EventTimeout)
	e.Status = st
	if attemptOver && !gestureOver {
		e.Reason = "attempt"
	}
	c.finish(t, st)
}

func (c *Challenge) finish(t time.Time, st session.GestureStatus) {
	if c.idx < len(c.results) {
		r := &c.results[c.idx]
		r.Status, r.At = st, t
	}
	c.status = st
	c.phase = phaseDone
	e := c.emit(t, EventDone)
	e.Status = st
	e.Detected = c.detect
	if st == session.GestureMatch {
		e.Progress = 1
	}
}

func med3(v [3]float64) float64 {
	return max(min(v[0], v[1]), min(max(v[0], v[1]), v[2]))
}

func clamp01(v float64) float64 { return math.Max(0, math.Min(1, v)) }

// median of a short slice, without allocating (insertion sort of a copy on
// the stack).
func median(v []float64) float64 {
	var buf [64]float64
	n := copy(buf[:], v)
	s := buf[:n]
	for i := 1; i < n; i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
