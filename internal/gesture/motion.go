package gesture

import (
	"math"
	"time"
)

// motionVerdict is what the jump filter makes of a frame's pose.
type motionVerdict int

const (
	// motionOK: a head can move so; the frame counts.
	motionOK motionVerdict = iota
	// motionSkip: too far from the last frames; the frame is held back
	// until the next one tells a lone glitch from a jump that stays.
	motionSkip
	// motionJump: the previous frame's jump stayed (a swapped picture):
	// the frame counts, but as the start of a new motion.
	motionJump
)

// jumpFilter tells a head's motion from a jump of the pose: a change of yaw
// or pitch faster than MaxAngularSpeed. A lone outlier frame (a landmark
// glitch) is skipped; a jump that stays is reported, unless the picture
// stayed continuous through it (Observation.Continuity at least
// MinContinuity on both frames): people asked to turn do it fast (30–60°
// in a quarter of a second, over 900°/s at the peak), and a real head
// turning in place leaves its surroundings as they were, while a swapped
// picture (another face, the same face elsewhere) changes them at once.
// Such a fast real turn is still held back one frame, as any far frame
// is, so a lone glitch is skipped all the same.
type jumpFilter struct {
	valid bool // there is an accepted frame to compare with
	// pending: the last frame was skipped as too far; jumpT, jumpYaw and
	// jumpPitch are its time and pose.
	pending   bool
	jumpT     time.Time
	jumpYaw   float64
	jumpPitch float64
	// jumpSteady: the picture stayed continuous into the skipped frame.
	jumpSteady bool
	// prevT is the last accepted frame's time; yaws and pitches the last
	// three accepted poses, oldest first.
	prevT   time.Time
	yaws    [3]float64
	pitches [3]float64
}

// reset forgets the accepted frames: the next frame is accepted as it is.
// A pending jump is kept (as it always was), so the frame after the next
// one is still measured against it.
func (f *jumpFilter) reset() { f.valid = false }

// observe feeds a frame's time and pose; maxSpeed is in degrees per second;
// steady says the picture around the face is continuous with the previous
// frame's (Observation.Continuity).
func (f *jumpFilter) observe(t time.Time, yaw, pitch, maxSpeed float64, steady bool) motionVerdict {
	v := motionOK
	if f.valid {
		// The limit is for one frame interval, even after a skipped frame.
		last := f.prevT
		if f.pending {
			last = f.jumpT
		}
		lim := maxSpeed * math.Max(t.Sub(last).Seconds(), 1.0/30)
		far := func(y, p float64) bool {
			return math.Abs(yaw-y) > lim || math.Abs(pitch-p) > lim
		}
		// The reference is the median of the last three accepted frames,
		// so that one bad frame accepted does not make the next good one a
		// jump.
		switch {
		case !far(med3(f.yaws), med3(f.pitches)):
			f.pending = false // the skipped frame, if any, was a glitch
		case f.pending && !far(f.jumpYaw, f.jumpPitch):
			// The far pose stayed: a fast real turn if the picture
			// stayed continuous all along, else a swapped picture.
			f.pending = false
			if !f.jumpSteady || !steady {
				v = motionJump
			} else {
				// The head is there now: the reference starts over
				// at its pose.
				f.valid = false
			}
		default:
			// A far frame after a far one: still steady only if the
			// picture was continuous through both.
			f.jumpSteady = steady && (!f.pending || f.jumpSteady)
			f.pending = true
			f.jumpT, f.jumpYaw, f.jumpPitch = t, yaw, pitch
			return motionSkip
		}
	}
	if !f.valid {
		f.yaws = [3]float64{yaw, yaw, yaw}
		f.pitches = [3]float64{pitch, pitch, pitch}
	}
	f.valid, f.prevT = true, t
	f.yaws = [3]float64{f.yaws[1], f.yaws[2], yaw}
	f.pitches = [3]float64{f.pitches[1], f.pitches[2], pitch}
	return v
}

// med3 is the median of three.
func med3(v [3]float64) float64 {
	return max(min(v[0], v[1]), min(max(v[0], v[1]), v[2]))
}
