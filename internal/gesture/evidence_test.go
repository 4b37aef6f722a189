package gesture

import (
	"testing"
)

// turnFrames renders a subject's neutral face and n frames of the turn to
// st, of a real head or of a flat photo of the neutral face.
func turnFrames(st state, photo bool, n int) (neutral Landmarks, frames []Observation) {
	cam := GuessCamera(frameW, frameH)
	f := newFace(3, 1.5)
	neutral = f.render(cam, state{}, 0, nil)
	for i := 0; i < n; i++ {
		lm := f.render(cam, st, 0, nil)
		if photo {
			lm = photoTurn(cam, &neutral, st.yaw, st.pitch, 600)
		}
		frames = append(frames, ObservationFromLandmarks(t0, frameW, frameH, &lm, 1))
	}
	return neutral, frames
}

func TestEvidenceIs3D(t *testing.T) {
	cfg := DefaultChallengeConfig()
	tests := []struct {
		name  string
		g     class
		st    state
		photo bool
		want  bool
	}{
		{"a head turning left", clsLeft, state{yaw: 30}, false, true},
		{"a head turning right", clsRight, state{yaw: -30}, false, true},
		{"a head looking up", clsUp, state{pitch: 20}, false, true},
		{"a head looking down", clsDown, state{pitch: -20}, false, true},
		{"a photo turned left", clsLeft, state{yaw: 40}, true, false},
		{"a photo turned right", clsRight, state{yaw: -40}, true, false},
		// The parallax must point the asked way.
		{"a head turning right, left asked", clsLeft, state{yaw: -30}, false, false},
	}
	for _, tc := range tests {
		neutral, frames := turnFrames(tc.st, tc.photo, 3)
		bl := Baseline{Landmarks: neutral, PlanarFloor: 0.01, ParallaxFloor: 0.005}
		var e evidence
		for i := range frames {
			o := &frames[i]
			m := measures{dYaw: tc.st.yaw, dPitch: tc.st.pitch}
			e.observe(tc.g, true, &bl.Landmarks, o, m)
		}
		if got := e.is3D(&bl, &cfg); got != tc.want {
			t.Errorf("%s: got 3D %v (planar %.4f, parallax %.4f); want %v", tc.name, got, e.planarMedian(), e.parallaxMedian(), tc.want)
		}
	}
}

func TestEvidenceIs3DAgainstTheFloors(t *testing.T) {
	cfg := DefaultChallengeConfig()
	neutral, frames := turnFrames(state{yaw: 30}, false, 1)
	tests := []struct {
		name string
		bl   Baseline
		want bool
	}{
		{"quiet baseline", Baseline{PlanarFloor: 0.001, ParallaxFloor: 0.001}, true},
		{"planar noise as large as the turn", Baseline{PlanarFloor: 1, ParallaxFloor: 0.001}, false},
		{"parallax noise as large as the turn", Baseline{PlanarFloor: 0.001, ParallaxFloor: 1}, false},
	}
	for _, tc := range tests {
		tc.bl.Landmarks = neutral
		var e evidence
		e.observe(clsLeft, true, &tc.bl.Landmarks, &frames[0], measures{dYaw: 30})
		if got := e.is3D(&tc.bl, &cfg); got != tc.want {
			t.Errorf("%s: got %v; want %v", tc.name, got, tc.want)
		}
	}
	var e evidence
	if e.is3D(&Baseline{}, &cfg) {
		t.Errorf("no frames: got 3D; want not")
	}
}

func TestEvidenceWindows(t *testing.T) {
	neutral, frames := turnFrames(state{yaw: 30}, false, 1)
	o := frames[0]
	var e evidence
	e.observe(clsLeft, true, &neutral, &o, measures{dYaw: 30})
	e.observe(clsLeft, true, &neutral, &o, measures{dYaw: 30})
	if e.nTurn != 2 || e.nLines != 2 || !e.turnHeld() {
		t.Fatalf("two held frames: got %d turn and %d line frames; want 2 and 2", e.nTurn, e.nLines)
	}
	if !e.reject() || e.reject() {
		t.Errorf("reject: got a second new rejection in one hold; want one")
	}
	e.observe(clsLeft, false, &neutral, &o, measures{})
	if e.nTurn != 0 || e.nLines != 0 || e.turnHeld() || e.rejected {
		t.Errorf("after a break: got %d, %d frames, rejected %v; want empty", e.nTurn, e.nLines, e.rejected)
	}
	// Other gestures keep only the line window.
	e.observe(clsMouthOpen, true, &neutral, &o, measures{})
	if e.nTurn != 0 || e.nLines != 1 {
		t.Errorf("mouth held: got %d turn and %d line frames; want 0 and 1", e.nTurn, e.nLines)
	}
	// The windows stop filling when full.
	for i := 0; i < 2*windowLen; i++ {
		e.observe(clsLeft, true, &neutral, &o, measures{dYaw: 30})
	}
	if e.nTurn != windowLen || e.nLines != windowLen {
		t.Errorf("full: got %d and %d; want %d", e.nTurn, e.nLines, windowLen)
	}
	e.reset()
	if e.nTurn != 0 || e.nLines != 0 {
		t.Errorf("reset: got %d and %d frames; want none", e.nTurn, e.nLines)
	}
}

func TestEvidenceOnScreen(t *testing.T) {
	tests := []struct {
		name  string
		base  float64
		lines []float64
		lim   float64
		want  bool
	}{
		{"camera", 1.3, []float64{1.2, 1.4, 1.3}, 2.2, false},
		{"display at the baseline", 2.5, nil, 2.2, true},
		{"display while held (median)", 1.3, []float64{1, 3, 3}, 2.2, true},
		{"one line spike is not a display", 1.3, []float64{1, 1, 5}, 2.2, false},
		{"disabled", 9, []float64{9}, -1, false},
	}
	for _, tc := range tests {
		var e evidence
		for _, l := range tc.lines {
			o := Observation{Quality: Quality{LineRatio: l}}
			e.observe(clsMouthOpen, true, nil, &o, measures{})
		}
		if got := e.onScreen(tc.base, tc.lim); got != tc.want {
			t.Errorf("%s: got %v; want %v", tc.name, got, tc.want)
		}
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		v    []float64
		want float64
	}{
		{nil, 0}, {[]float64{3}, 3}, {[]float64{3, 1}, 2}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5},
	}
	for _, tc := range tests {
		in := append([]float64(nil), tc.v...)
		if got := median(tc.v); got != tc.want {
			t.Errorf("median(%v): got %v; want %v", tc.v, got, tc.want)
		}
		for i := range in {
			if in[i] != tc.v[i] {
				t.Errorf("median(%v) changed its input", in)
			}
		}
	}
}
