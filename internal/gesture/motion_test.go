package gesture

import (
	"testing"
	"time"
)

func TestJumpFilter(t *testing.T) {
	// Frames at 15 frames/s; 450°/s allows 30° per frame.
	type frame struct{ yaw, pitch float64 }
	tests := []struct {
		name   string
		frames []frame
		want   []motionVerdict
	}{
		{"a head turning", []frame{{0, 0}, {10, 0}, {25, 0}, {40, 5}},
			[]motionVerdict{motionOK, motionOK, motionOK, motionOK}},
		{"a lone glitch is skipped", []frame{{0, 0}, {0, 0}, {0, 0}, {60, 0}, {1, 0}},
			[]motionVerdict{motionOK, motionOK, motionOK, motionSkip, motionOK}},
		{"a pitch glitch too", []frame{{0, 0}, {0, 0}, {0, -45}, {0, 1}},
			[]motionVerdict{motionOK, motionOK, motionSkip, motionOK}},
		// The median reference needs two accepted frames at the new pose
		// to follow it, so a jump that stays is reported twice (as the
		// Challenge always did: two rejected events).
		{"a jump that stays", []frame{{0, 0}, {0, 0}, {0, 0}, {50, 0}, {52, 0}, {53, 0}, {54, 0}, {55, 0}},
			[]motionVerdict{motionOK, motionOK, motionOK, motionSkip, motionJump, motionSkip, motionJump, motionOK}},
		{"jumping on and on", []frame{{0, 0}, {50, 0}, {100, 0}, {150, 0}},
			[]motionVerdict{motionOK, motionSkip, motionSkip, motionSkip}},
		// The median of the last three accepted frames is the reference:
		// one accepted outlier does not make the next good frame a jump.
		{"median reference", []frame{{0, 0}, {0, 0}, {25, 0}, {5, 0}},
			[]motionVerdict{motionOK, motionOK, motionOK, motionOK}},
	}
	for _, tc := range tests {
		var f jumpFilter
		for i, fr := range tc.frames {
			at := t0.Add(time.Duration(i) * time.Second / 15)
			if got := f.observe(at, fr.yaw, fr.pitch, 450, false); got != tc.want[i] {
				t.Errorf("%s: frame %d (%v): got %v; want %v", tc.name, i, fr, got, tc.want[i])
			}
		}
	}
}

func TestJumpFilterLimitGrowsWithTheGap(t *testing.T) {
	tests := []struct {
		gap  time.Duration
		yaw  float64
		want motionVerdict
	}{
		{time.Second / 15, 31, motionSkip}, // 30° allowed
		{time.Second / 15, 29, motionOK},
		{200 * time.Millisecond, 89, motionOK}, // 90° allowed
		{200 * time.Millisecond, 91, motionSkip},
		{10 * time.Millisecond, 14, motionOK}, // never less than a 30 frames/s interval: 15°
		{10 * time.Millisecond, 16, motionSkip},
	}
	for _, tc := range tests {
		var f jumpFilter
		f.observe(t0, 0, 0, 450, false)
		if got := f.observe(t0.Add(tc.gap), tc.yaw, 0, 450, false); got != tc.want {
			t.Errorf("%v° after %v: got %v; want %v", tc.yaw, tc.gap, got, tc.want)
		}
	}
}

func TestJumpFilterReset(t *testing.T) {
	var f jumpFilter
	f.observe(t0, 0, 0, 450, false)
	f.reset()
	if got := f.observe(t0.Add(time.Second/15), 80, 0, 450, false); got != motionOK {
		t.Errorf("after reset: got %v; want the frame accepted as it is", got)
	}
	if got := f.observe(t0.Add(2*time.Second/15), 81, 0, 450, false); got != motionOK {
		t.Errorf("after reset, the next frame: got %v; want ok against the new pose", got)
	}
}

func TestMed3(t *testing.T) {
	tests := []struct {
		v    [3]float64
		want float64
	}{
		{[3]float64{1, 2, 3}, 2}, {[3]float64{3, 2, 1}, 2}, {[3]float64{2, 3, 1}, 2},
		{[3]float64{1, 3, 2}, 2}, {[3]float64{5, 5, 0}, 5}, {[3]float64{-1, 7, 7}, 7},
	}
	for _, tc := range tests {
		if got := med3(tc.v); got != tc.want {
			t.Errorf("med3(%v): got %v; want %v", tc.v, got, tc.want)
		}
	}
}

// TestJumpFilterContinuousPicture: a pose change faster than the limit
// counts as motion when the picture stayed continuous through the far
// frame and the one that confirms it (a fast real turn), is skipped as
// before when it comes back (a glitch), and is a jump when the picture
// broke on either frame (a swapped picture).
func TestJumpFilterContinuousPicture(t *testing.T) {
	type frame struct {
		yaw    float64
		steady bool
	}
	tests := []struct {
		name   string
		frames []frame
		want   []motionVerdict
	}{
		{"a fast real turn", []frame{{0, true}, {0, true}, {0, true}, {45, true}, {50, true}, {52, true}},
			[]motionVerdict{motionOK, motionOK, motionOK, motionSkip, motionOK, motionOK}},
		{"a turn so fast it stays far twice", []frame{{0, true}, {0, true}, {0, true}, {35, true}, {75, true}, {80, true}, {80, true}},
			[]motionVerdict{motionOK, motionOK, motionOK, motionSkip, motionSkip, motionOK, motionOK}},
		{"a glitch in a continuous picture", []frame{{0, true}, {0, true}, {0, true}, {60, true}, {1, true}},
			[]motionVerdict{motionOK, motionOK, motionOK, motionSkip, motionOK}},
		{"the picture broke on the far frame", []frame{{0, true}, {0, true}, {0, true}, {50, false}, {52, true}},
			[]motionVerdict{motionOK, motionOK, motionOK, motionSkip, motionJump}},
		{"the picture broke on the frame after", []frame{{0, true}, {0, true}, {0, true}, {50, true}, {52, false}},
			[]motionVerdict{motionOK, motionOK, motionOK, motionSkip, motionJump}},
		{"broke on the first of two far frames", []frame{{0, true}, {0, true}, {0, true}, {35, false}, {75, true}, {80, true}},
			[]motionVerdict{motionOK, motionOK, motionOK, motionSkip, motionSkip, motionJump}},
	}
	for _, tc := range tests {
		var f jumpFilter
		for i, fr := range tc.frames {
			at := t0.Add(time.Duration(i) * time.Second / 15)
			if got := f.observe(at, fr.yaw, 0, 450, fr.steady); got != tc.want[i] {
				t.Errorf("%s: frame %d (%v): got %v; want %v", tc.name, i, fr, got, tc.want[i])
			}
		}
	}
}
