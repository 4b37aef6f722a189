package main

import (
	"math"
	"testing"

	"github.com/livegate/livegate/internal/facegen"
	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/session"
)

// truthClip is 60 frames at 15 frames/s: a left turn ramping 0→30° over
// frames 15–22, held to 37; both eyes closed over frames 45–50.
func truthClip(live bool) *facegen.Truth {
	tr := &facegen.Truth{FPS: 15, Live: live, NumFrames: 60,
		Gestures: []facegen.Interval{
			{Code: "HEAD_LEFT", Amount: 30, StartFrame: 15, FullFrame: 22, EndFrame: 37},
			{Code: "HEAD_00", Amount: 1, StartFrame: 45, FullFrame: 46, EndFrame: 50},
		}}
	if !live {
		tr.Attack = "flat"
	}
	for i := 0; i < 60; i++ {
		f := facegen.FrameTruth{Index: i, Time: facegen.R3(float64(i) / 15), LeftEye: 1, RightEye: 1}
		switch {
		case i >= 15 && i < 22:
			f.Yaw = facegen.R3(30 * float64(i-15) / 7)
		case i >= 22 && i <= 37:
			f.Yaw = 30
		}
		if i >= 45 && i <= 50 {
			f.LeftEye, f.RightEye = 0, 0
		}
		tr.Frames = append(tr.Frames, f)
	}
	return tr
}

func TestScore(t *testing.T) {
	ask := []session.Gesture{session.HeadLeft, session.HeadEyesClosed}
	cfg := gesture.DefaultChallengeConfig()
	// 18° is crossed at frame 20 (30·5/7 ≈ 21.4°), t = 1333 ms.
	matches := []line{
		{TMS: 1533, Frame: 23, Gesture: session.HeadLeft},
		{TMS: 3133, Frame: 47, Gesture: session.HeadEyesClosed},
	}
	sc := score(truthClip(true), ask, matches, cfg)
	if sc.Matched != 2 || sc.Recall != 1 || sc.FalseMatches != 0 {
		t.Fatalf("got %+v; want 2 matched, recall 1, no false match", sc)
	}
	if len(sc.DelaysMS) != 2 || math.Abs(sc.DelaysMS[0]-200) > 1 || math.Abs(sc.DelaysMS[1]-133) > 1 {
		t.Errorf("delays %v; want [200 133]", sc.DelaysMS)
	}
	// A match outside its gesture's interval is a false match; any match
	// on an attack clip is.
	sc = score(truthClip(true), ask, []line{{TMS: 200, Frame: 3, Gesture: session.HeadLeft}}, cfg)
	if sc.Matched != 0 || sc.FalseMatches != 1 || sc.Recall != 0 {
		t.Errorf("early match: %+v", sc)
	}
	sc = score(truthClip(false), ask, matches, cfg)
	if sc.FalseMatches != 2 || sc.Recall != 0 {
		t.Errorf("attack clip: %+v", sc)
	}
}
