package main

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/livegate/livegate/internal/facegen"
	"github.com/livegate/livegate/internal/gesture"
)

func TestEyeSeparations(t *testing.T) {
	// 40 frames: the left eye shut on frames 10–19 (half-shut on 9 and
	// 20, left out), the right always open; no face on frame 30.
	tr := &facegen.Truth{FPS: 15, NumFrames: 40}
	var obs []gesture.Observation
	for n := range 40 {
		left := 1.0
		switch {
		case n >= 10 && n < 20:
			left = 0
		case n == 9 || n == 20:
			left = 0.5
		}
		tr.Frames = append(tr.Frames, facegen.FrameTruth{Index: n, LeftEye: facegen.R3(left), RightEye: 1})
		// The contrast alternates ±0.01 around 0.20 open and 0.10 shut;
		// the aspect ratio does not follow the lid (0.3 throughout).
		c := 0.20
		if left < eyeShutTruth {
			c = 0.10
		} else if left < eyeOpenTruth {
			c = 0.5 // must be left out
		}
		c += 0.01 * float64(1-2*(n%2))
		o := gesture.Observation{Faces: 1, EyeLeft: 0.3, EyeRight: 0.3, EyeContrastLeft: c, EyeContrastRight: 0.2}
		if n == 30 {
			o = gesture.Observation{EyeContrastLeft: 5}
		}
		obs = append(obs, o)
	}
	ss := eyeSeparations(obs, tr)
	if len(ss) != 4 {
		t.Fatalf("%d rows; want 4", len(ss))
	}
	lc := ss[1]
	if lc.Eye != "left" || lc.Cue != "contrast" || lc.Open != 27 || lc.Shut != 10 {
		t.Fatalf("left contrast row %+v; want 27 open and 10 shut frames", lc)
	}
	if math.Abs(lc.OpenMean-0.2) > 0.001 || math.Abs(lc.ShutMean-0.1) > 1e-9 || math.Abs(lc.ShSD-0.01) > 1e-9 {
		t.Errorf("left contrast %+v; want 0.20 open, 0.10 ± 0.01 shut", lc)
	}
	if lc.DPrime < 9 || lc.DPrime > 11 {
		t.Errorf("left contrast d′ %.2f; want about 10", lc.DPrime)
	}
	if la := ss[0]; la.DPrime != 0 {
		t.Errorf("left aspect ratio d′ %.2f; want 0 (no spread)", la.DPrime)
	}
	if rc := ss[3]; rc.Shut != 0 || rc.DPrime != 0 {
		t.Errorf("right contrast %+v; want no shut frames, no d′", rc)
	}
	var b bytes.Buffer
	writeEyeSeparations(&b, ss)
	if lines := strings.Split(strings.TrimSpace(b.String()), "\n"); len(lines) != 5 || !strings.Contains(lines[2], "contrast") {
		t.Errorf("table:\n%s", b.String())
	}
	// -matrix -eyes: one row per live clip in which an eye shuts, d′ of
	// the contrast then of the aspect ratio, "-" for the eye that never
	// shuts; a clip with no shut eye has no row.
	b.Reset()
	writeEyeTable(&b, []*matrixClip{
		{Face: "grace", Condition: "dark", Script: "C", FPS: 7, Eyes: ss},
		{Face: "mazie", Condition: "clean", Script: "B", Eyes: eyeSeparations(obs[:5], tr)},
	})
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], "dark 7 fps") || !strings.Contains(lines[1], fmt.Sprintf("%.1f / -", lc.DPrime)) || !strings.Contains(lines[1], "0.0 / -") {
		t.Errorf("eye table:\n%s", b.String())
	}
}
