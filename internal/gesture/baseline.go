package gesture

import (
	"math"
	"time"
)

// maxBaselineFrames is how many of the baseline's frames are kept for its
// noise floors and line ratio; the means take them all.
const maxBaselineFrames = 16

// baselineTracker measures the user's neutral face: a still, frontal,
// neutral face held for ChallengeConfig.BaselineHold and BaselineFrames
// (BaselineHoldAside when its yaw is beyond FrontalYaw).
// A frame that is not neutral restarts it; a face that moves more than 4°
// or changes track restarts it too, and counts as unstable. Once a
// baseline was measured, a new one (after another face took the track)
// must be taken within BaselineDrift of the first one's pose: a head
// pitched down or turned while the baseline is re-taken would read its
// return to level as a gesture.
type baselineTracker struct {
	n        int // frames so far
	start    time.Time
	track    int
	yaw0     float64 // the first frame's pose, the stillness reference
	pitch0   float64
	sum      [8]float64 // yaw, pitch, roll, eyes, mouth, eye contrasts
	lmSum    [NumLandmarks][2]float64
	frames   [maxBaselineFrames]Landmarks
	lines    [maxBaselineFrames]float64
	unstable int // restarts for motion since the last baseline
	// haveRef: a baseline was measured; refYaw and refPitch are the
	// first one's pose.
	haveRef          bool
	refYaw, refPitch float64
}

// level reports whether o's pose may be a baseline's: within the absolute
// neutral bounds and, once a baseline was measured, near the first one.
func (b *baselineTracker) level(o *Observation, cfg *ChallengeConfig) bool {
	return cfg.frontal(o) && (!b.haveRef ||
		math.Abs(o.Yaw-b.refYaw) <= cfg.BaselineDrift && math.Abs(o.Pitch-b.refPitch) <= cfg.BaselineDrift)
}

// restart drops the frames so far (a new face, a new baseline).
func (b *baselineTracker) restart() { b.n = 0 }

// aside reports whether the frames so far have a mean yaw beyond
// FrontalYaw: such a baseline must be held for BaselineHoldAside.
func (b *baselineTracker) aside(cfg *ChallengeConfig) bool {
	return b.n > 0 && math.Abs(b.sum[0]/float64(b.n)) > cfg.FrontalYaw
}

// add feeds a frame and returns the baseline and true once it is measured.
func (b *baselineTracker) add(o *Observation, cfg *ChallengeConfig) (Baseline, bool) {
	ok := o.Faces == 1 && b.level(o, cfg) &&
		min(o.EyeLeft, o.EyeRight) >= 0.1 && o.Mouth <= 0.25
	if !ok {
		b.n = 0
		return Baseline{}, false
	}
	if b.n > 0 && (o.Track != b.track ||
		math.Abs(o.Yaw-b.yaw0) > 4 || math.Abs(o.Pitch-b.pitch0) > 4) {
		b.n = 0
		b.unstable++
	}
	if b.n == 0 {
		b.start, b.track, b.yaw0, b.pitch0 = o.T, o.Track, o.Yaw, o.Pitch
		b.sum = [8]float64{}
		b.lmSum = [NumLandmarks][2]float64{}
	}
	b.sum[0] += o.Yaw
	b.sum[1] += o.Pitch
	b.sum[2] += o.Roll
	b.sum[3] += o.EyeLeft
	b.sum[4] += o.EyeRight
	b.sum[5] += o.Mouth
	b.sum[6] += o.EyeContrastLeft
	b.sum[7] += o.EyeContrastRight
	for i, p := range o.Landmarks {
		b.lmSum[i][0] += float64(p.X)
		b.lmSum[i][1] += float64(p.Y)
	}
	if b.n < maxBaselineFrames {
		b.frames[b.n] = o.Landmarks
		b.lines[b.n] = o.Quality.LineRatio
	}
	b.n++
	hold := cfg.BaselineHold
	if b.aside(cfg) {
		hold = max(hold, cfg.BaselineHoldAside)
	}
	if b.n < cfg.BaselineFrames || o.T.Sub(b.start) < hold {
		return Baseline{}, false
	}
	return b.measure(o.T), true
}

// measure is the baseline of the frames so far, taken at t.
func (b *baselineTracker) measure(t time.Time) Baseline {
	n := float64(b.n)
	bl := Baseline{
		At: t, Yaw: b.sum[0] / n, Pitch: b.sum[1] / n, Roll: b.sum[2] / n,
		EyeLeft: b.sum[3] / n, EyeRight: b.sum[4] / n, Mouth: b.sum[5] / n,
		EyeContrastLeft: b.sum[6] / n, EyeContrastRight: b.sum[7] / n,
	}
	for i := range bl.Landmarks {
		bl.Landmarks[i] = Point{float32(b.lmSum[i][0] / n), float32(b.lmSum[i][1] / n)}
	}
	m := min(b.n, maxBaselineFrames)
	for i := 0; i < m; i++ {
		bl.PlanarFloor += PlanarResidual(&bl.Landmarks, &b.frames[i]) / float64(m)
		px, py := NoseParallax(&bl.Landmarks, &b.frames[i])
		bl.ParallaxFloor += math.Hypot(px, py) / float64(m)
	}
	bl.LineRatio = median(b.lines[:m])
	b.unstable = 0
	if !b.haveRef {
		b.haveRef, b.refYaw, b.refPitch = true, bl.Yaw, bl.Pitch
	}
	return bl
}
