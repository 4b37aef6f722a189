package score_test

import (
	"testing"

	"github.com/livegate/livegate/internal/facegen"
	"github.com/livegate/livegate/internal/facegen/score"
	"github.com/livegate/livegate/internal/gesture"
)

func TestCrossing(t *testing.T) {
	cfg := gesture.DefaultChallengeConfig()
	// Yaw rises 5° a frame from frame 2 (the user turns to their own left),
	// both eyes close from frame 4.
	tr := &facegen.Truth{}
	for i := 0; i < 12; i++ {
		f := facegen.FrameTruth{Index: i, LeftEye: 1, RightEye: 1}
		if i >= 2 {
			f.Yaw = facegen.R3(5 * (i - 1))
		}
		if i >= 4 {
			f.LeftEye, f.RightEye = 0, 0
		}
		tr.Frames = append(tr.Frames, f)
	}
	want := 0
	for i, f := range tr.Frames {
		if float64(f.Yaw) >= cfg.TurnOn {
			want = i
			break
		}
	}
	tests := []struct {
		code  string
		frame int
		ok    bool
	}{
		{"HEAD_LEFT", want, true},
		{"HEAD_RIGHT", 0, false},
		{"HEAD_00", 4, true},
		{"HEAD_OPEN_MOUTH", 0, false},
	}
	for _, tt := range tests {
		got, ok := score.Crossing(tr, facegen.Interval{Code: tt.code, Amount: 1, StartFrame: 1, EndFrame: 11}, cfg)
		if ok != tt.ok || ok && got != tt.frame {
			t.Errorf("Crossing(%s) = %d, %v; want %d, %v", tt.code, got, ok, tt.frame, tt.ok)
		}
	}
	if _, ok := score.Crossing(tr, facegen.Interval{Code: "HEAD_LEFT", StartFrame: 40, EndFrame: 50}, cfg); ok {
		t.Errorf("an interval past the clip crossed")
	}
}
