package gesture

import "time"

// hintState is what the hints need of the Challenge besides the frame.
type hintState struct {
	// baseline: the neutral face is being measured; unstable counts its
	// restarts for a moving face.
	baseline bool
	unstable int
	// level: the pose may be a baseline's (baselineTracker.level) and
	// the baseline under way is not aside (baselineTracker.aside).
	level bool
	// away: a gesture is asked, and the user has not come back to
	// neutral for a while since the last one counted.
	away bool
}

// hintConditions returns, in allHints' order, which hints the frame calls
// for.
func hintConditions(o *Observation, cfg *ChallengeConfig, s hintState) [len(allHints)]bool {
	var on [len(allHints)]bool
	one := o.Faces == 1
	for i, h := range allHints {
		switch h {
		case HintOneFace:
			on[i] = o.Faces > 1
		case HintMoveCloser:
			on[i] = one && o.Quality.FaceWidth < cfg.MinFaceWidth
		case HintMoreLight:
			on[i] = one && o.Quality.Brightness < cfg.MinBrightness
		case HintCenterFace:
			on[i] = one && o.Quality.Outside
		case HintHoldStill:
			on[i] = one && (o.Quality.Sharpness < cfg.MinSharpness || (s.baseline && s.unstable >= 3))
		case HintFaceCamera:
			on[i] = one && ((s.baseline && !s.level) || s.away)
		}
	}
	return on
}

// hinter paces the hints: a hint is due once its condition has held for
// settle, over two frames in a row at least (one bad frame is no reason
// to nag), and again no sooner than the repeat interval after it was last
// given.
type hinter struct {
	run  [len(allHints)]hold
	last [len(allHints)]time.Time
	sent [len(allHints)]bool
}

// observe feeds the frame's hint conditions at t and returns which hints
// are due now.
func (h *hinter) observe(t time.Time, on [len(allHints)]bool, repeat time.Duration) (due [len(allHints)]bool) {
	for i := range on {
		h.run[i].update(on[i], t)
		if !on[i] {
			continue
		}
		if h.run[i].done(t, settleFrames, settle) && (!h.sent[i] || t.Sub(h.last[i]) >= repeat) {
			h.sent[i], h.last[i] = true, t
			due[i] = true
		}
	}
	return due
}
