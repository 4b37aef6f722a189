package facegen

import (
	"math"
	"testing"
)

func TestTimelineEasesAndHolds(t *testing.T) {
	sc, err := ParseScript("neutral 1s; HEAD_LEFT 30deg 1.5s; neutral 1s; HEAD_00 0.4s; HEAD_OPEN_MOUTH 1s")
	if err != nil {
		t.Fatal(err)
	}
	tl := newTimeline(sc, 15, 1, false, false)
	if tl.frames != 74 { // 4.9 s at 15 fps
		t.Fatalf("frames: got %d; want 74", tl.frames)
	}
	left := tl.intervals[0]
	if left.Code != "HEAD_LEFT" || left.StartFrame != 15 || left.FullFrame != 22 || left.EndFrame != 37 {
		t.Errorf("HEAD_LEFT interval: got %+v; want frames 15, full 22, end 37", left)
	}
	prev := tl.state(left.StartFrame).Yaw
	for i := left.StartFrame + 1; i <= left.FullFrame; i++ {
		y := tl.state(i).Yaw
		if y < prev {
			t.Errorf("frame %d: yaw %.2f went back from %.2f while turning", i, y, prev)
		}
		prev = y
	}
	for i := left.FullFrame; i <= left.EndFrame; i++ {
		if y := tl.state(i).Yaw; math.Abs(y-30) > 1e-9 {
			t.Errorf("frame %d: yaw %.2f; want 30 held", i, y)
		}
	}
	// ease in and out: the first and last steps of the turn are small
	d0 := tl.state(left.StartFrame+1).Yaw - tl.state(left.StartFrame).Yaw
	dm := tl.state(left.StartFrame+4).Yaw - tl.state(left.StartFrame+3).Yaw
	if d0 >= dm {
		t.Errorf("no ease-in: first step %.2f°, middle step %.2f°", d0, dm)
	}
	if s := tl.state(40); s.Yaw <= 0.1 || s.Yaw >= 29.9 {
		t.Errorf("frame 40: yaw %.2f; want on the way back to 0", s.Yaw)
	}
	eyes := tl.intervals[1]
	full := tl.state(eyes.FullFrame)
	if eyes.Code != "HEAD_00" || full.LeftEye != 0 || full.RightEye != 0 {
		t.Errorf("HEAD_00: %+v, state %+v", eyes, full)
	}
	if s := tl.state(tl.frames - 1); s.Mouth != 1 || s.LeftEye != 1 {
		t.Errorf("last frame: %+v; want mouth 1, eyes open", s)
	}
}

func TestTimelineSwayAndBlinks(t *testing.T) {
	sc, _ := ParseScript("neutral 10s; HEAD_00 1s; neutral 5s")
	tl := newTimeline(sc, 15, 3, true, true)
	if len(tl.blinks) < 2 {
		t.Fatalf("natural blinks in 16 s: %d; want a few", len(tl.blinks))
	}
	for _, b := range tl.naturalBlinks() {
		if b.EndFrame >= 144 && b.StartFrame <= 171 {
			t.Errorf("natural blink %+v during the scripted HEAD_00", b)
		}
	}
	var maxYaw float64
	for i := 0; i < tl.frames; i++ {
		maxYaw = math.Max(maxYaw, math.Abs(tl.state(i).Yaw))
	}
	if maxYaw < 0.3 || maxYaw > 2.5 {
		t.Errorf("sway reaches %.2f° of yaw; want a small sway", maxYaw)
	}
	still := newTimeline(sc, 15, 3, false, false)
	for i := 0; i < 150; i++ {
		if s := still.state(i); s != Neutral {
			t.Fatalf("frame %d without sway or blinks: %+v; want neutral", i, s)
		}
	}
}

func TestTimelineTempo(t *testing.T) {
	sc, err := ParseScript("neutral 1s; HEAD_LEFT 30deg 2s; neutral 2s")
	if err != nil {
		t.Fatal(err)
	}
	// At 30 frames/s a head turn takes 0.45 s (frame 30 + 13.5): tempo 0.6
	// makes it 0.27 s, 2 makes it 0.9 s; 1 is newTimeline's.
	for _, tc := range []struct {
		tempo float64
		full  int
	}{{1, 44}, {0.6, 39}, {2, 57}} {
		tl := newTimelineTempo(sc, 30, 1, false, false, tc.tempo)
		iv := tl.intervals[0]
		if iv.FullFrame != tc.full {
			t.Errorf("tempo %g: full frame %d; want %d", tc.tempo, iv.FullFrame, tc.full)
		}
		if y := tl.state(tc.full).Yaw; math.Abs(y-30) > 1e-9 {
			t.Errorf("tempo %g: yaw %.2f at the full frame; want 30", tc.tempo, y)
		}
		if y := tl.state(tc.full - 2).Yaw; y >= 29.9 {
			t.Errorf("tempo %g: yaw %.2f two frames before the full frame; want still turning", tc.tempo, y)
		}
	}
}
