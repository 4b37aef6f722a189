package live

import (
	"testing"

	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/session"
)

func TestEvidenceScore(t *testing.T) {
	turn := func(parallax float64) gesture.GestureResult {
		return gesture.GestureResult{Gesture: session.HeadLeft, Status: session.GestureMatch, Parallax: parallax}
	}
	flat := gesture.GestureResult{Gesture: session.HeadLeft, Status: session.GestureNotMatch, Rejected: 2}
	screen := gesture.GestureResult{Gesture: session.HeadOpenMouth, Status: session.GestureNotMatch, Screen: 1}
	eyes := gesture.GestureResult{Gesture: session.HeadEyesClosed, Status: session.GestureMatch}
	tests := []struct {
		name     string
		attempts [][]gesture.GestureResult
		score    float64
		attack   string // "" for null
	}{
		{"no evidence", [][]gesture.GestureResult{{eyes}}, 50, ""},
		{"turn at the minimum parallax", [][]gesture.GestureResult{{turn(0.04)}}, 50, ""},
		{"clear 3D turn", [][]gesture.GestureResult{{turn(0.29)}}, 100, ""},
		{"the weakest turn counts", [][]gesture.GestureResult{{turn(0.29), turn(0.10)}}, 75, ""},
		{"flat turn only", [][]gesture.GestureResult{{flat}}, 10, "presentation"},
		{"display replay", [][]gesture.GestureResult{{screen}}, 10, "presentation"},
		{"flat, then a 3D turn", [][]gesture.GestureResult{{flat}, {turn(0.29)}}, 45, "unsure"},
	}
	for _, tt := range tests {
		var ev evidence
		for _, a := range tt.attempts {
			ev.add(gesture.Result{Gestures: a})
		}
		score, attack := ev.score()
		got := ""
		if attack != nil {
			got = *attack
		}
		if score == nil || *score != tt.score || got != tt.attack {
			t.Errorf("%s: score %v attack %q; want %v %q", tt.name, *score, got, tt.score, tt.attack)
		}
	}
}
