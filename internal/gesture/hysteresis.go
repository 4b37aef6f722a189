package gesture

import (
	"math"
	"time"
)

// latch is a condition with hysteresis: it turns on when its value reaches
// the on level and off only when the value falls below the lower off
// level, so that a value wavering near the threshold does not flicker.
type latch bool

// update feeds the frame's value and returns the state.
func (l *latch) update(v, on, off float64) bool {
	if v >= on {
		*l = true
	} else if v < off {
		*l = false
	}
	return bool(*l)
}

// hold times a condition that must hold without a break: the frames it has
// held for and when it began.
type hold struct {
	n     int
	start time.Time
}

// update feeds whether the condition holds in the frame at t.
func (h *hold) update(active bool, t time.Time) {
	if !active {
		h.n = 0
		return
	}
	if h.n == 0 {
		h.start = t
	}
	h.n++
}

// reset breaks the hold: it starts again at the next active frame.
func (h *hold) reset() { h.n = 0 }

// held is how long the condition has held at t, 0 when it does not hold.
func (h *hold) held(t time.Time) time.Duration {
	if h.n == 0 {
		return 0
	}
	return t.Sub(h.start)
}

// done reports whether the condition has held for at least frames frames
// and d at t: both. The time decides (a hold's span, from its first frame
// to its last, is never longer than the condition really held, whatever
// the frame rate); the frame count is only a small minimum that a
// 7 frames/s camera meets (ChallengeConfig.HoldFrames).
func (h *hold) done(t time.Time, frames int, d time.Duration) bool {
	return h.n > 0 && h.n >= frames && t.Sub(h.start) >= d
}

// fraction is how far the hold is toward done, 0..1 not clamped: the
// smaller of its share of the frames and of the time.
func (h *hold) fraction(t time.Time, frames int, d time.Duration) float64 {
	return math.Min(float64(h.n)/float64(frames), float64(h.held(t))/float64(d))
}

// conditions are the gesture conditions of a frame, each a latch with its
// own on and off levels against the baseline.
type conditions struct {
	turn      [4]latch // left, right, up, down
	closedL   latch
	closedR   latch
	mouthOpen latch
}

// update feeds the frame's measures and returns which classes' conditions
// hold and whether the head is turned (past a turn's or tilt's release
// level, which is when the eyes are not judged).
func (s *conditions) update(m measures, cfg *ChallengeConfig) (active [numClasses]bool, turning bool) {
	active[clsLeft] = s.turn[0].update(m.dYaw, cfg.TurnOn, cfg.TurnOff)
	active[clsRight] = s.turn[1].update(-m.dYaw, cfg.TurnOn, cfg.TurnOff)
	active[clsUp] = s.turn[2].update(m.dPitch, cfg.TiltOn, cfg.TiltOff)
	active[clsDown] = s.turn[3].update(-m.dPitch, cfg.TiltOn, cfg.TiltOff)
	open := cfg.openLevel()
	l := s.closedL.update(m.closedL, 1, open)
	r := s.closedR.update(m.closedR, 1, open)
	mouth := s.mouthOpen.update(m.dMouth, cfg.MouthOn, cfg.MouthOff)
	turning = math.Abs(m.dYaw) > cfg.TurnOff || math.Abs(m.dPitch) > cfg.TiltOff

	// Eyes are not judged while the head is turned: looking down narrows
	// them.
	if !turning {
		active[clsEyes00] = l && r
		active[clsEye01] = r && !l
		active[clsEye10] = l && !r
	}
	active[clsEyes11] = !l && !r && !turning
	// The mouth is judged whatever the pose: opening it moves the chin and
	// lips, which tilts the pose estimate a little.
	active[clsMouthOpen] = mouth
	active[clsMouthClosed] = !mouth
	return active, turning
}

// neutral reports whether the face, measured m in the frame just fed to
// update, is back to neutral: not turned, no eye over its closed threshold
// (1), mouth closed. The eyes' latches are not asked:
// their release level holds a closure through a frame or two that read
// open, which a closure's hold needs, but a noisy open eye (a dim face with
// sensor noise) wanders between the two levels for seconds, and reading it
// as closed there kept a user who had come back from a turn from being
// re-armed through the whole next gesture (grace's dim, noisy face at
// 7 frames/s: her tilt, held 1.4 s, never counted).
func (s *conditions) neutral(m measures, turning bool) bool {
	return !turning && m.closedL < 1 && m.closedR < 1 && !bool(s.mouthOpen)
}

// settle is how long a hint's condition must be seen, over two frames at
// least, before the hint is given: a time, not a frame count alone, so
// that a camera faster than 30 frames/s does not shorten it. Two frames at
// 7 to 30 frames/s (143 to 33 ms), as the rule was; three at 60.
const settle = 30 * time.Millisecond

// settleFrames is the least count of frames of settle: one frame alone
// proves nothing, however far apart the frames are.
const settleFrames = 2

// rearmAfter is how much frame time of neutral face re-arms the gestures
// after one counted, besides two neutral frames in a row: each neutral
// frame stands for the time since the frame before it (at most
// maxFrameGap). At 15 frames/s and faster it takes two frames, as it
// always did; at 10 frames/s and slower one frame is as long a look at a
// neutral face as two at 15, and a second one costs a user who pauses
// half a second between quick gestures the next gesture.
const rearmAfter = 100 * time.Millisecond

// arming keeps a gesture from counting twice, or a wrong one from turning
// into the next: after a match, a wrong gesture or a jump the user must
// come back to neutral (two frames, or rearmAfter) before anything counts
// again.
type arming struct {
	armed    bool
	neutralN int
	neutralT time.Duration // the frame time of the neutral frames so far
	last     time.Time     // the last frame's time
	// since is when the arming was first lost and not yet regained by
	// coming back to neutral; zero when armed that way.
	since time.Time
}

// disarm is called on a match, a wrong gesture or a jump at t.
func (a *arming) disarm(t time.Time) {
	a.armed = false
	a.neutralN, a.neutralT = 0, 0
	a.last = t
	if a.since.IsZero() {
		a.since = t
	}
}

// observe feeds whether the frame at t is neutral and returns whether
// gestures count.
func (a *arming) observe(neutral bool, t time.Time) bool {
	var dt time.Duration
	if !a.last.IsZero() {
		dt = min(max(t.Sub(a.last), 0), maxFrameGap)
	}
	a.last = t
	if a.armed {
		return true
	}
	if !neutral {
		a.neutralN, a.neutralT = 0, 0
		return false
	}
	a.neutralN++
	a.neutralT += dt
	if a.neutralN >= 2 || a.neutralT >= rearmAfter {
		a.armed = true
		a.since = time.Time{}
	}
	return a.armed
}

// awayFor reports whether gestures have not counted for longer than d at
// t: the user has not come back to neutral (the face-camera hint).
func (a *arming) awayFor(t time.Time, d time.Duration) bool {
	return !a.armed && !a.since.IsZero() && t.Sub(a.since) > d
}
