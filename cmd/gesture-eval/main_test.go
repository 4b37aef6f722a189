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
	// 14° is crossed at frame 19 (30·4/7 ≈ 17.1°), t = 1267 ms.
	matches := []line{
		{TMS: 1533, Frame: 23, Gesture: session.HeadLeft},
		{TMS: 3133, Frame: 47, Gesture: session.HeadEyesClosed},
	}
	sc := score(truthClip(true), ask, matches, cfg)
	if sc.Matched != 2 || sc.Recall != 1 || sc.FalseMatches != 0 {
		t.Fatalf("got %+v; want 2 matched, recall 1, no false match", sc)
	}
	if len(sc.DelaysMS) != 2 || math.Abs(sc.DelaysMS[0]-266) > 1 || math.Abs(sc.DelaysMS[1]-133) > 1 {
		t.Errorf("delays %v; want [266 133]", sc.DelaysMS)
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

func TestMatrixCells(t *testing.T) {
	cells, err := matrixCells(matrixOpts{faces: "mazie,obama", conditions: "clean,dark,far", attacks: "flat,screen"})
	if err != nil {
		t.Fatal(err)
	}
	// 2 faces × (3 conditions × 4 scripts + 2 attacks × 2 scripts).
	if len(cells) != 2*(3*4+2*2) {
		t.Fatalf("got %d cells; want 32", len(cells))
	}
	c := cells[4] // mazie, dark, script A
	if c.Face != "mazie" || c.Condition != "dark" || c.Script != "A" || c.Params.Light != "dark" || c.Attack {
		t.Errorf("cell 4 = %+v; want mazie dark A", c)
	}
	if a := cells[12]; !a.Attack || a.Params.Attack != "flat" || a.Condition != "flat" {
		t.Errorf("cell 12 = %+v; want the flat attack", a)
	}
	// Combined conditions and a script filter.
	cells, err = matrixCells(matrixOpts{faces: "mazie", conditions: "dark+noise,backlit+noise", scripts: "D"})
	if err != nil {
		t.Fatal(err)
	}
	if len(cells) != 2 || cells[0].Script != "D" || cells[0].Params.Noise != 8 || cells[0].Params.Light != "dark" || cells[1].Params.Light != "backlit" {
		t.Errorf("combined conditions, script D: %+v", cells)
	}
	if _, err := matrixCells(matrixOpts{faces: "nobody"}); err == nil {
		t.Error("unknown face: no error")
	}
	if _, err := matrixCells(matrixOpts{faces: "mazie", conditions: "fog"}); err == nil {
		t.Error("unknown condition: no error")
	}
}

func TestFaceNameAndPercentile(t *testing.T) {
	for in, want := range map[string]string{
		"testdata/faces/mazie-hirono.jpg":        "mazie",
		"testdata/faces/portrait-obama-2012.jpg": "obama",
		"/x/astronaut.png":                       "astronaut",
		"testdata/faces/grace-hopper-1984.jpg":   "grace",
	} {
		if got := faceName(in); got != want {
			t.Errorf("faceName(%q) = %q; want %q", in, got, want)
		}
	}
	d := []float64{66, 133, 133, 199, 266}
	if got := percentile(d, 50); got != 133 {
		t.Errorf("median %v; want 133", got)
	}
	if got := percentile(d, 95); got != 266 {
		t.Errorf("p95 %v; want 266", got)
	}
	if got := percentile([]float64{100, 200}, 50); got != 150 {
		t.Errorf("even median %v; want 150", got)
	}
}

func TestSpeedScript(t *testing.T) {
	a := matrixScripts[0].Script
	got, err := speedScript(a, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	// The baseline's neutral second and the eye closure keep their length.
	want := "neutral 1s; HEAD_LEFT 30deg 0.75s; neutral 0.5s; HEAD_00 1.3s; neutral 0.4s; HEAD_OPEN_MOUTH 0.5s; neutral 0.25s"
	if got != want {
		t.Errorf("fast A:\ngot  %q\nwant %q", got, want)
	}
	if got, _ := speedScript(a, 1); got != a {
		t.Errorf("normal A: %q; want the script as it is", got)
	}
	if _, err := speedScript("neutral 1s; HEAD_LEFT 1.5", 2); err == nil {
		t.Error("a step without a duration: no error")
	}
	if r, err := parseRates("7, 10,15"); err != nil || len(r) != 3 || r[0] != 7 || r[2] != 15 {
		t.Errorf("parseRates: %v, %v; want [7 10 15]", r, err)
	}
	if _, err := parseRates("7,0"); err == nil {
		t.Error("parseRates 0: no error")
	}
}
