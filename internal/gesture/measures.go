package gesture

import "math"

// measures are one frame's face against the baseline: what the gesture
// conditions, the scores and the signals are made of.
type measures struct {
	// dYaw and dPitch are the pose minus the baseline's, degrees.
	dYaw, dPitch float64
	// closedL and closedR are the eyes' closure scores, 1 at the closed
	// threshold (see closure).
	closedL, closedR float64
	// dMouth is the mouth openness minus the baseline's.
	dMouth float64
}

func measure(o *Observation, bl *Baseline, cfg *ChallengeConfig) measures {
	return measures{
		dYaw:    o.Yaw - bl.Yaw,
		dPitch:  o.Pitch - bl.Pitch,
		closedL: closure(o.EyeLeft, bl.EyeLeft, o.EyeContrastLeft, bl.EyeContrastLeft, cfg),
		closedR: closure(o.EyeRight, bl.EyeRight, o.EyeContrastRight, bl.EyeContrastRight, cfg),
		dMouth:  o.Mouth - bl.Mouth,
	}
}

// closure is an eye's closure score, 1 at the closed threshold: from the
// eye aspect ratio against the baseline's and, when both frames have one,
// from the eye's picture contrast against the baseline's.
func closure(ear, baseEAR, con, baseCon float64, cfg *ChallengeConfig) float64 {
	s := (1 - ear/baseEAR) / (1 - cfg.EyeClosedOn)
	if con > 0 && baseCon > 0 {
		// Two weak cues together make a strong one: the length of the
		// vector of their positive parts.
		sc := (1 - con/baseCon) / (1 - cfg.EyeContrastClosed)
		s = math.Hypot(max(s, 0), max(sc, 0))
	}
	return s
}

// score is how far the frame goes toward g, over g's threshold (1 = at
// it); it drives the progress and keeps a gesture under way from counting
// as a wrong one. A condition that holds below its threshold (eyes open,
// mouth closed) scores the threshold over the measure.
func (m measures) score(g class, cfg *ChallengeConfig) float64 {
	v := measureOf(g, &m)
	_, on, _, below := levels(g, cfg)
	if below {
		return on / math.Max(v, 1e-3)
	}
	return v / on
}

// measureOf is g's own measure in its natural unit (see levels).
func measureOf(g class, m *measures) float64 {
	switch g {
	case clsLeft:
		return m.dYaw
	case clsRight:
		return -m.dYaw
	case clsUp:
		return m.dPitch
	case clsDown:
		return -m.dPitch
	case clsEyes00:
		return math.Min(m.closedL, m.closedR)
	case clsEye01:
		return m.closedR
	case clsEye10:
		return m.closedL
	case clsEyes11:
		return math.Max(m.closedL, m.closedR)
	}
	return m.dMouth // clsMouthOpen, clsMouthClosed
}

// levels returns g's measure's name, threshold, release and whether the
// condition holds below the threshold.
func levels(g class, cfg *ChallengeConfig) (name string, on, off float64, below bool) {
	switch g {
	case clsLeft, clsRight:
		return "yaw", cfg.TurnOn, cfg.TurnOff, false
	case clsUp, clsDown:
		return "pitch", cfg.TiltOn, cfg.TiltOff, false
	case clsEyes00, clsEye01, clsEye10:
		return "eye_closure", 1, cfg.openLevel(), false
	case clsEyes11:
		return "eye_closure", cfg.openLevel(), 1, true
	case clsMouthOpen:
		return "mouth", cfg.MouthOn, cfg.MouthOff, false
	}
	return "mouth", cfg.MouthOff, cfg.MouthOn, true // clsMouthClosed
}
