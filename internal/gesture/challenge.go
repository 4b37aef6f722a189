package gesture

import (
	"image"
	"math"
	"slices"
	"time"

	"github.com/livegate/livegate/internal/session"
)

// The Challenge composes small machines, each in its own file with its own
// tests: baselineTracker (baseline.go) measures the neutral face,
// jumpFilter (motion.go) drops pose glitches and reports jumps,
// conditions, hold and arming (hysteresis.go) decide which gestures are
// performed and for how long, evidence (evidence.go) collects the 3D and
// display tests of a held gesture, and hinter (hints.go) paces the hints.
// This file keeps the attempt: presence, the asked gestures in order,
// their results, timeouts and the events.

type phase int

const (
	phaseBaseline phase = iota
	phaseWait           // paced: the random wait before the instruction
	phaseGesture
	phaseDone
)

// faceCameraAfter is how long the user may stay away from neutral after a
// gesture counted before the face-camera hint.
const faceCameraAfter = 1500 * time.Millisecond

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
	sig     Signals

	// Presence and timing of the attempt and of the asked gesture; the
	// frame counts are the asked gesture's, for the timeout's status.
	started      bool
	attemptStart time.Time
	gestureStart time.Time
	nFrames      int
	nNoFace      int
	nMulti       int
	prevFaces    int
	track        int
	lastBox      image.Rectangle // the last face's box

	bl        Baseline
	haveBL    bool
	baseline  baselineTracker
	announced bool // the first gesture was asked

	motion       jumpFilter
	conds        conditions
	holds        [numClasses]hold
	wrongDone    [numClasses]bool // the class's hold counted as wrong already
	arming       arming
	evidence     evidence
	lastProgress float64
	hints        hinter
	pace         pacer

	// tr records the signals behind each asked gesture (trace.go); heldNow
	// is whether the asked gesture's condition held in this frame.
	tr      tracer
	heldNow bool

	// closures filters the eyes' closure scores (smooth.go).
	closures closureFilter
}

// NewChallenge starts a challenge for the asked gestures, in order. Unknown
// codes are skipped (validate them with session.ParseGesture first).
func NewChallenge(gestures []session.Gesture, cfg ChallengeConfig) *Challenge {
	c := &Challenge{cfg: cfg.withDefaults(), prevFaces: -1, events: make([]Event, 0, 16)}
	if c.cfg.InstructionDelay == nil && !c.cfg.Unpaced {
		c.cfg.InstructionDelay = newDelay(c.cfg.InstructionDelayMin, c.cfg.InstructionDelayMax)
	}
	for _, g := range gestures {
		if k, ok := classOf(g); ok {
			c.asked = append(c.asked, k)
			c.results = append(c.results, GestureResult{Gesture: g})
		}
	}
	c.tr = newTracer(len(c.asked))
	if len(c.asked) == 0 {
		c.phase = phaseDone
		c.status = session.GestureNotMatch
	}
	return c
}

// Done reports whether the attempt is over.
func (c *Challenge) Done() bool { return c.phase == phaseDone }

// Result returns the outcome so far; Status and Evidence are set once
// Done.
func (c *Challenge) Result() Result {
	r := Result{
		Status:   c.status,
		Detected: c.detect,
		Gestures: slices.Clone(c.results),
		Baseline: c.bl,
	}
	if c.phase == phaseDone {
		r.Evidence = c.Evidence()
	}
	return r
}

// Signals returns the signals of the last frame observed, as the next
// event would carry them: with the eyes' closure scores after their
// median filter, the asked gesture's score and hold.
func (c *Challenge) Signals() Signals { return c.sig }

// Current returns the index and code of the gesture being asked, and false
// when done or when it is not asked yet (baseline, wait).
func (c *Challenge) Current() (int, session.Gesture, bool) {
	if c.phase != phaseGesture || c.idx >= len(c.asked) {
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
	c.presence(&o)
	c.hint(&o)
	idx, traced := c.idx, c.phase == phaseWait || c.phase == phaseGesture
	c.heldNow = false
	switch c.phase {
	case phaseBaseline:
		c.observeBaseline(&o)
	case phaseWait:
		c.observeWait(&o)
	case phaseGesture:
		c.observeGesture(&o)
	}
	if c.phase != phaseDone {
		c.checkTimeout(t)
	}
	if traced {
		c.trace(idx, &o, c.heldNow)
	}
	return c.events
}

// presence reports faces lost, found, too many and changed, and counts
// them for the timeout. Another face means another baseline.
func (c *Challenge) presence(o *Observation) {
	t, faces, prev := o.T, o.Faces, c.prevFaces
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
	if faces > 0 && c.track != 0 && o.Track != c.track && prev == 1 && c.sameFace(o) {
		// A re-detection of the same face: the baseline and the
		// gesture's progress stand.
		c.track = o.Track
	}
	if faces > 0 && c.track != 0 && o.Track != c.track {
		c.emit(t, EventTrackChanged)
		if c.idx < len(c.results) {
			c.results[c.idx].TrackChanges++
		}
		c.resetHolds()
		c.motion.reset()
		c.closures.reset()
		c.haveBL = false
		c.baseline.restart()
		if c.phase == phaseGesture || c.phase == phaseWait {
			c.phase = phaseBaseline
		}
	}
	if faces > 0 {
		c.track = o.Track
		c.lastBox = o.Box
	}
}

// sameFace reports whether o, whose track id differs from the last face's
// (one face in the previous frame), shows the same face all the same: a
// re-detection (YuNet re-checks every 300 ms) that got a new id, with the
// picture around the face continuous since the previous frame
// (Observation.Continuity, known only when the face was seen recently)
// and its box's centre inside the last one. Another face (a swap, a second
// person) breaks the picture or moves the box, and restarts the baseline.
func (c *Challenge) sameFace(o *Observation) bool {
	if o.Faces != 1 || o.Continuity < c.cfg.MinContinuity || c.lastBox.Empty() {
		return false
	}
	ctr := o.Box.Min.Add(o.Box.Max).Div(2)
	return ctr.In(c.lastBox)
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

func (c *Challenge) hint(o *Observation) {
	on := hintConditions(o, &c.cfg, hintState{
		baseline: c.phase == phaseBaseline,
		unstable: c.baseline.unstable,
		level:    c.baseline.level(o, &c.cfg) && !c.baseline.aside(&c.cfg),
		away:     (c.phase == phaseGesture || c.phase == phaseWait) && c.arming.awayFor(o.T, faceCameraAfter),
	})
	for i, due := range c.hints.observe(o.T, on, c.cfg.HintRepeat) {
		if due {
			c.emit(o.T, EventHint).Hint = allHints[i]
		}
	}
}

func (c *Challenge) observeBaseline(o *Observation) {
	b, ok := c.baseline.add(o, &c.cfg)
	if !ok {
		return
	}
	c.bl, c.haveBL = b, true
	c.closures.reset() // scores against another baseline
	c.phase = phaseGesture
	c.arming.armed = true
	c.resetHolds()
	c.motion.reset()
	c.signals(o)
	c.emit(o.T, EventBaseline)
	if !c.cfg.Unpaced {
		// Paced: the wait starts now; after a track change, an instruction
		// already out stands, a wait restarts with a new draw.
		if !c.pace.asked {
			c.phase = phaseWait
			c.pace.next()
			c.observeWait(o)
		}
		return
	}
	// A new baseline after a track change does not ask the gesture again.
	if !c.announced {
		c.announced = true
		c.emit(o.T, EventGestureStart)
	}
}

func (c *Challenge) resetHolds() {
	for k := range c.holds {
		c.holds[k].reset()
	}
	c.evidence.reset()
	c.lastProgress = 0
}

func (c *Challenge) observeGesture(o *Observation) {
	t := o.T
	m, active, turning, ok := c.see(o)
	if !ok {
		return
	}
	g := c.asked[c.idx]
	if !c.cfg.Unpaced && c.paced(o, g, m.score(g, &c.cfg), active[g]) {
		return
	}
	if !c.arming.observe(c.conds.neutral(m, turning), t) {
		return
	}
	// The trace's held spans are the holds that can count: not while the
	// user comes back from the previous gesture.
	c.heldNow = active[g]

	score := m.score(g, &c.cfg)
	c.sig.Score = score
	h := &c.holds[g]
	c.sig.HoldMS = float64(h.held(t)) / float64(time.Millisecond)
	c.evidence.observe(g, active[g], &c.bl.Landmarks, o, m)
	if g.isTurn() && c.evidence.turnHeld() {
		c.sig.Planar = c.evidence.planarMedian()
		c.sig.Parallax = c.evidence.parallaxMedian()
	}
	holdTime := c.cfg.holdTime(g)
	if active[g] && h.done(t, c.cfg.HoldFrames, holdTime) && c.judge(o, g) {
		return
	}
	if c.wrong(t, g, score, &active) {
		return
	}
	p := 0.7 * clamp01(score)
	if active[g] {
		p += 0.3 * clamp01(h.fraction(t, c.cfg.HoldFrames, holdTime))
	}
	c.progress(t, math.Min(p, 0.99))
}

// see measures a frame of one face against the baseline and feeds the
// jump filter, the conditions and the holds; ok is false when nothing
// counts in it (no face or several, a skipped glitch).
func (c *Challenge) see(o *Observation) (m measures, active [numClasses]bool, turning, ok bool) {
	t := o.T
	res := &c.results[c.idx]
	if o.Faces != 1 {
		// No face, or several: nothing counts, holds restart.
		c.closures.reset()
		c.resetHolds()
		c.motion.reset()
		return m, active, false, false
	}
	m = measure(o, &c.bl, &c.cfg)
	m.closedL, m.closedR = c.closures.add(t, m.closedL, m.closedR)
	c.sig.ClosedLeft, c.sig.ClosedRight = m.closedL, m.closedR
	res.PeakYaw = math.Max(res.PeakYaw, math.Abs(m.dYaw))
	res.PeakPitch = math.Max(res.PeakPitch, math.Abs(m.dPitch))

	// A jump that stays (a swapped picture) resets the gesture and the
	// user must come back to neutral; so does a break of the picture
	// around the face whatever the pose did (a cut to another picture
	// whose pose reads close enough to pass for motion).
	v := c.motion.observe(t, o.Yaw, o.Pitch, c.cfg.MaxAngularSpeed, o.Continuity >= c.cfg.MinContinuity)
	if o.Continuity != 0 && o.Continuity < c.cfg.MinContinuity && v != motionSkip {
		v = motionJump
	}
	switch v {
	case motionSkip:
		return m, active, false, false
	case motionJump:
		res.Jumps++
		c.resetHolds()
		c.arming.disarm(t)
		c.emit(t, EventRejected).Reason = "jump"
	}

	active, turning = c.conds.update(m, &c.cfg)
	for k := range active {
		c.holds[k].update(active[k], t)
		if !active[k] {
			c.wrongDone[k] = false
		} else if class(k) <= clsMouthOpen && class(k) != clsEyes11 {
			c.detect = classGesture[k]
		}
	}
	return m, active, turning, true
}

// judge decides a held gesture g: rejected as on a display or, for a turn,
// as flat, or matched. It reports whether it matched.
func (c *Challenge) judge(o *Observation, g class) bool {
	t := o.T
	res := &c.results[c.idx]
	c.judged(g)
	switch {
	case c.evidence.onScreen(c.bl.LineRatio, c.cfg.ScreenLineRatio):
		if c.evidence.reject() {
			res.Screen++
			c.emit(t, EventRejected).Reason = "screen"
		}
	case g.isTurn() && !c.evidence.is3D(&c.bl, &c.cfg):
		if c.evidence.reject() {
			res.Rejected++
			c.emit(t, EventRejected).Reason = "planar"
		}
	case c.judgeReaction(t, g):
		return true
	default:
		c.match(o, g)
		return true
	}
	return false
}

// wrong counts another clear gesture held for otherHold while the asked
// one g is not under way: a turn to the left can read as a little up too,
// an open mouth tilts the pose estimate; only between eye gestures (one eye
// asked, both closed) does the wrong one count even then. It reports
// whether it counted one.
func (c *Challenge) wrong(t time.Time, g class, score float64, active *[numClasses]bool) bool {
	res := &c.results[c.idx]
	for k := class(0); k < numClasses; k++ {
		if (score >= 0.5 && !(g.isEye() && k.isEye())) || k == g || !active[k] || c.wrongDone[k] || !isWrong(g, k) {
			continue
		}
		if !c.holds[k].done(t, c.cfg.HoldFrames, c.cfg.otherHold(k)) {
			continue
		}
		c.wrongDone[k] = true
		res.Wrong++
		c.detect = classGesture[k]
		c.emit(t, EventWrongGesture).Detected = classGesture[k]
		c.arming.disarm(t)
		if c.cfg.MaxWrong > 0 && res.Wrong >= c.cfg.MaxWrong {
			if !c.cfg.Unpaced {
				c.timing(false)
			}
			c.fail(t, failWrong)
		}
		return true
	}
	return false
}

// progress reports p when it moved by 5 % or fell back to 0.
func (c *Challenge) progress(t time.Time, p float64) {
	if math.Abs(p-c.lastProgress) >= 0.05 || (p == 0 && c.lastProgress != 0) {
		c.lastProgress = p
		c.emit(t, EventProgress).Progress = p
	}
}

func (c *Challenge) match(o *Observation, g class) {
	t := o.T
	res := &c.results[c.idx]
	res.Status = session.GestureMatch
	res.At = t
	if !c.cfg.Unpaced {
		res.MatchedAt = arrival(o)
	}
	res.Crossed = c.holds[g].start
	if g.isTurn() {
		res.Planar = c.evidence.planarMedian()
		res.Parallax = c.evidence.parallaxMedian()
	}
	c.detect = classGesture[g]
	e := c.emit(t, EventMatch)
	e.Progress = 1
	e.Detected = classGesture[g]
	e.Status = session.GestureMatch
	c.idx++
	c.resetHolds()
	c.arming.disarm(t)
	if c.idx == len(c.asked) {
		c.finish(t, session.GestureMatch)
		return
	}
	c.gestureStart = t
	c.nFrames, c.nNoFace, c.nMulti = 0, 0, 0
	c.results[c.idx].Started = t
	if !c.cfg.Unpaced {
		// The next wait starts once the user is back at neutral.
		c.phase = phaseWait
		c.pace.next()
		return
	}
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
	if c.idx < len(c.results) {
		// A timeout after the asked gesture was held but rejected says
		// why it never matched.
		r := &c.results[c.idx]
		switch {
		case r.Screen > 0:
			r.Failure = "screen"
		case r.Rejected > 0:
			r.Failure = "planar"
		case r.Jumps > 0:
			r.Failure = "jump"
		default:
			r.Failure = failTimeout
		}
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

func clamp01(v float64) float64 { return math.Max(0, math.Min(1, v)) }
