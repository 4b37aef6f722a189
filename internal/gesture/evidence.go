package gesture

// windowLen is how many held frames the evidence windows keep: more than
// a hold needs (at 30 frames/s, 2 s).
const windowLen = 64

// evidence collects, over the frames an asked gesture's condition has
// held, what tells a live face in front of the camera from a picture: for
// a turn, the homography tests against the neutral face (a real head
// breaks the plane, a flat picture only adds noise); for every gesture the
// picture's line ratio (a display's line structure).
type evidence struct {
	// planar, parallax and angle are the turn's frames' planarity
	// residual, nose parallax along the asked direction and angle turned.
	planar   [windowLen]float64
	parallax [windowLen]float64
	angle    [windowLen]float64
	nTurn    int
	lines    [windowLen]float64
	nLines   int
	// rejected: the held gesture was rejected already; it is reported
	// once per hold.
	rejected bool
}

// reset empties the windows; the hold starts again.
func (e *evidence) reset() {
	e.nTurn = 0
	e.nLines = 0
	e.rejected = false
}

// observe feeds a frame while g is asked: active is whether g's condition
// holds in it. A break of the hold empties the windows.
func (e *evidence) observe(g class, active bool, bl *Landmarks, o *Observation, m measures) {
	if g.isTurn() {
		if active {
			e.addTurn(g, bl, &o.Landmarks, m)
		} else {
			e.nTurn = 0
			e.rejected = false
		}
	}
	if active {
		if e.nLines < len(e.lines) {
			e.lines[e.nLines] = o.Quality.LineRatio
			e.nLines++
		}
	} else {
		e.nLines = 0
		e.rejected = false
	}
}

func (e *evidence) addTurn(g class, bl, lm *Landmarks, m measures) {
	if e.nTurn >= len(e.planar) {
		return
	}
	e.planar[e.nTurn] = PlanarResidual(bl, lm)
	px, py := NoseParallax(bl, lm)
	var along, angle float64
	switch g {
	case clsLeft:
		along, angle = px, m.dYaw
	case clsRight:
		along, angle = -px, -m.dYaw
	case clsUp:
		along, angle = -py, m.dPitch
	case clsDown:
		along, angle = py, -m.dPitch
	}
	e.parallax[e.nTurn], e.angle[e.nTurn] = along, angle
	e.nTurn++
}

// turnHeld reports whether the window holds a turn's frames.
func (e *evidence) turnHeld() bool { return e.nTurn > 0 }

// planarMedian and parallaxMedian are the turn's medians, 0 without frames.
func (e *evidence) planarMedian() float64   { return median(e.planar[:e.nTurn]) }
func (e *evidence) parallaxMedian() float64 { return median(e.parallax[:e.nTurn]) }

// onScreen reports whether the face looks like a display replay: fine
// horizontal line structure in the baseline (baseLines, its median line
// ratio) or in the held frames. lim <= 0 disables the test.
func (e *evidence) onScreen(baseLines, lim float64) bool {
	if lim <= 0 {
		return false
	}
	return baseLines >= lim || (e.nLines > 0 && median(e.lines[:e.nLines]) >= lim)
}

// is3D reports whether the held turn moved like a 3D head against the
// baseline's noise (see ChallengeConfig.ParallaxMin and PlanarFactor).
func (e *evidence) is3D(bl *Baseline, cfg *ChallengeConfig) bool {
	if e.nTurn == 0 {
		return false
	}
	n := e.nTurn
	pl, px, ang := median(e.planar[:n]), median(e.parallax[:n]), median(e.angle[:n])
	return pl >= cfg.PlanarFactor*bl.PlanarFloor &&
		px >= cfg.ParallaxMin && px >= cfg.ParallaxPerDegree*ang && px >= cfg.ParallaxFactor*bl.ParallaxFloor
}

// figures are the held turn's planarity residual and nose parallax
// (medians) and the least of each that is3D asks for.
func (e *evidence) figures(bl *Baseline, cfg *ChallengeConfig) (planar, planarMin, parallax, parallaxMin float64) {
	n := e.nTurn
	ang := median(e.angle[:n])
	return median(e.planar[:n]), cfg.PlanarFactor * bl.PlanarFloor, median(e.parallax[:n]),
		max(cfg.ParallaxMin, cfg.ParallaxPerDegree*ang, cfg.ParallaxFactor*bl.ParallaxFloor)
}

// reject reports whether a rejection of the held gesture is new: true the
// first time in a hold.
func (e *evidence) reject() bool {
	if e.rejected {
		return false
	}
	e.rejected = true
	return true
}

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
