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
