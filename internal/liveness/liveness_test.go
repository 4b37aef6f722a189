package liveness_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/livegate/livegate/internal/liveness"
)

// want is a fused outcome: score, attack type ("" for null) and the signal
// that capped the score ("" when none did).
type want struct {
	score    float64
	attack   string
	decisive string
}

func check(t *testing.T, name string, v liveness.Verdict, w want) {
	t.Helper()
	got := ""
	if v.AttackType != nil {
		got = *v.AttackType
	}
	if v.Score != w.score || got != w.attack || v.Decisive != w.decisive {
		t.Errorf("%s: got score %v attack %q decisive %q; want %v %q %q\n%+v",
			name, v.Score, got, v.Decisive, w.score, w.attack, w.decisive, v.Signals)
	}
	if v.Pass != (v.Score >= v.PassMark) || v.Pass != (v.AttackType == nil) {
		t.Errorf("%s: pass %v with score %v, pass mark %v, attack %v", name, v.Pass, v.Score, v.PassMark, v.AttackType)
	}
}

// TestParallaxOnlyKeepsTodaysNumbers proves the rule of
// capture/live/evidence.go, which this package replaces, holds unchanged
// when parallax and flat or screen rejections are all the evidence.
func TestParallaxOnlyKeepsTodaysNumbers(t *testing.T) {
	tests := []struct {
		name string
		ev   liveness.Evidence
		want want
	}{
		{"nothing", liveness.Evidence{}, want{50, "", ""}},
		{"minimum parallax", liveness.Evidence{Parallax: []float64{0.04}}, want{50, "", ""}},
		{"below minimum", liveness.Evidence{Parallax: []float64{0.02}}, want{50, "", ""}},
		{"mid parallax", liveness.Evidence{Parallax: []float64{0.10}}, want{75, "", ""}},
		{"real head", liveness.Evidence{Parallax: []float64{0.16}}, want{100, "", ""}},
		{"beyond", liveness.Evidence{Parallax: []float64{0.3}}, want{100, "", ""}},
		{"weakest turn counts", liveness.Evidence{Parallax: []float64{0.16, 0.07, 0.2}}, want{62.5, "", ""}},
		{"rounded to 0.1", liveness.Evidence{Parallax: []float64{0.0611}}, want{58.8, "", ""}},
		{"flat turn alone", liveness.Evidence{FlatTurns: 1}, want{10, "presentation", "flat_turns"}},
		{"screen hold alone", liveness.Evidence{ScreenHolds: 2}, want{10, "presentation", "display"}},
		{"flat turn and a 3D turn", liveness.Evidence{FlatTurns: 1, Parallax: []float64{0.16}}, want{45, "unsure", "flat_turns"}},
		{"screen hold and a 3D turn", liveness.Evidence{ScreenHolds: 1, Parallax: []float64{0.05}}, want{45, "unsure", "display"}},
	}
	for _, tt := range tests {
		check(t, tt.name, liveness.Fuse(tt.ev), tt.want)
	}
}

func TestEachRule(t *testing.T) {
	frames := func(f liveness.FrameStats) liveness.Evidence { return liveness.Evidence{Frames: f} }
	stream := func(s liveness.StreamStats) liveness.Evidence { return liveness.Evidence{Stream: s} }
	camera := liveness.IntervalStats{N: 100, Mean: 1.0 / 15, StdDev: 0.004}
	tests := []struct {
		name string
		ev   liveness.Evidence
		want want
	}{
		// model: threshold 0.5 lands on 50, linear on each side.
		{"model real", liveness.Evidence{ModelScores: []float64{0.9, 0.95, 1}}, want{95, "", ""}},
		{"model at threshold", liveness.Evidence{ModelScores: []float64{0.5}}, want{50, "", ""}},
		{"model spoof", liveness.Evidence{ModelScores: []float64{0.02, 0.1, 0.9}}, want{10, "presentation", "model"}},
		{"model median of even count", liveness.Evidence{ModelScores: []float64{0.2, 0.4, 0.6, 0.8}}, want{50, "", ""}},

		// display cue from the line ratio of sampled frames.
		{"line ratio of a camera", liveness.Evidence{LineRatio: 1.3}, want{50, "", ""}},
		{"line ratio of a display", liveness.Evidence{LineRatio: 2.2}, want{10, "presentation", "display"}},

		// frames.
		{"loop", frames(liveness.FrameStats{Frames: 90, Loops: 1}), want{10, "injection", "loop"}},
		{"exact repeats", frames(liveness.FrameStats{Frames: 100, ExactRepeats: 50}), want{25, "injection", "repeats"}},
		{"few exact repeats", frames(liveness.FrameStats{Frames: 100, ExactRepeats: 19}), want{50, "", ""}},
		{"repeats on too few frames", frames(liveness.FrameStats{Frames: 20, ExactRepeats: 19}), want{50, "", ""}},
		{"frozen", frames(liveness.FrameStats{Frames: 60, LongestFrozen: 2.5}), want{15, "unsure", "frozen"}},
		{"still for a moment", frames(liveness.FrameStats{Frames: 60, LongestFrozen: 1.5}), want{50, "", ""}},

		// stream.
		{"virtual camera", stream(liveness.StreamStats{CameraLabel: "OBS Virtual Camera"}), want{10, "injection", "virtual_camera"}},
		{"real camera label", stream(liveness.StreamStats{CameraLabel: "Integrated Camera (04f2:b6d9)"}), want{50, "", ""}},
		{"rtp drift", stream(liveness.StreamStats{RTPRate: 1.5}), want{20, "injection", "rtp_drift"}},
		{"rtp in real time", stream(liveness.StreamStats{RTPRate: 1.002}), want{50, "", ""}},
		{"camera timing", stream(liveness.StreamStats{Intervals: camera}), want{50, "", ""}},
		{"timing too regular alone", stream(liveness.StreamStats{Intervals: liveness.IntervalStats{N: 100, Mean: 1.0 / 15, StdDev: 0.00001}}), want{50, "", ""}},
		{"timing too irregular alone", stream(liveness.StreamStats{Intervals: liveness.IntervalStats{N: 100, Mean: 0.06, StdDev: 0.09}}), want{50, "", ""}},
		{"timing judged on too few frames", stream(liveness.StreamStats{Intervals: liveness.IntervalStats{N: 10, StdDev: 0}}), want{50, "", ""}},
		{"resolution change alone caps at 60", liveness.Evidence{Parallax: []float64{0.16}, Stream: liveness.StreamStats{ResolutionChanges: 1}}, want{60, "", "stream"}},
		{"two weak stream cues", stream(liveness.StreamStats{ResolutionChanges: 1, FrameRateChanges: 2}), want{30, "injection", "stream"}},
		{"regular timing and a resolution change", stream(liveness.StreamStats{
			Intervals: liveness.IntervalStats{N: 100, Mean: 1.0 / 30}, ResolutionChanges: 1,
		}), want{30, "injection", "stream"}},
	}
	for _, tt := range tests {
		check(t, tt.name, liveness.Fuse(tt.ev), tt.want)
	}
}

// TestCombinations plays the attacks of issue #11 as evidence.
func TestCombinations(t *testing.T) {
	tests := []struct {
		name string
		ev   liveness.Evidence
		want want
	}{
		{"live: model real and a 3D turn", liveness.Evidence{ModelScores: []float64{0.97}, Parallax: []float64{0.16}}, want{98.5, "", ""}},
		{"live: the positive signals are averaged", liveness.Evidence{ModelScores: []float64{0.6}, Parallax: []float64{0.10}}, want{67.5, "", ""}},
		{"photo: no parallax, model low", liveness.Evidence{ModelScores: []float64{0.04, 0.06}}, want{5, "presentation", "model"}},
		{"photo: turn rejected as flat, model low", liveness.Evidence{ModelScores: []float64{0.1}, FlatTurns: 2}, want{10, "presentation", "model"}},
		{"photo: a digital re-render the model calls real, turn flat", liveness.Evidence{ModelScores: []float64{0.999}, FlatTurns: 1}, want{10, "presentation", "flat_turns"}},
		{"phone replay: display cue and a low model", liveness.Evidence{ModelScores: []float64{0.3}, LineRatio: 3.1}, want{10, "presentation", "display"}},
		{"real person, model false reject, real 3D turn", liveness.Evidence{ModelScores: []float64{0.05}, Parallax: []float64{0.16}}, want{45, "unsure", "model"}},
		{"looped recording of a real head: parallax does not excuse injection", liveness.Evidence{
			ModelScores: []float64{0.98}, Parallax: []float64{0.18}, Frames: liveness.FrameStats{Frames: 200, Loops: 2},
		}, want{10, "injection", "loop"}},
		{"virtual camera playing a real face", liveness.Evidence{
			ModelScores: []float64{0.99}, Parallax: []float64{0.16}, Stream: liveness.StreamStats{CameraLabel: "ManyCam Virtual Webcam"},
		}, want{10, "injection", "virtual_camera"}},
		{"frozen frame with a screen hold: the lower cap wins", liveness.Evidence{
			ScreenHolds: 1, Frames: liveness.FrameStats{Frames: 60, LongestFrozen: 3},
		}, want{10, "presentation", "display"}},
		{"equal caps: the first in order wins", liveness.Evidence{
			FlatTurns: 1, Frames: liveness.FrameStats{Frames: 90, Loops: 1},
		}, want{10, "presentation", "flat_turns"}},
		{"one weak cue does not fail a live session", liveness.Evidence{
			ModelScores: []float64{0.9}, Parallax: []float64{0.16}, Stream: liveness.StreamStats{FrameRateChanges: 1},
		}, want{60, "", "stream"}},
	}
	for _, tt := range tests {
		check(t, tt.name, liveness.Fuse(tt.ev), tt.want)
	}
}

func TestPassMark(t *testing.T) {
	c := liveness.Config{PassMark: 70}
	check(t, "parallax 0.10 under pass mark 70", c.Fuse(liveness.Evidence{Parallax: []float64{0.10}}), want{75, "", ""})
	v := c.Fuse(liveness.Evidence{Parallax: []float64{0.07}})
	check(t, "parallax 0.07 under pass mark 70", v, want{62.5, "unsure", ""})
	if v.PassMark != 70 {
		t.Errorf("PassMark: got %v; want 70", v.PassMark)
	}
	// Contradicted presentation evidence sits just below the pass mark.
	check(t, "flat turn and a 3D turn at pass mark 70",
		c.Fuse(liveness.Evidence{FlatTurns: 1, Parallax: []float64{0.16}}), want{65, "unsure", "flat_turns"})
	check(t, "model threshold 0.8",
		liveness.Config{ModelThreshold: 0.8}.Fuse(liveness.Evidence{ModelScores: []float64{0.4}}), want{25, "presentation", "model"})
}

// TestBreakdown checks what an integrator reads: every signal listed in a
// fixed order, nil scores for signals without data, and JSON field names.
func TestBreakdown(t *testing.T) {
	v := liveness.Fuse(liveness.Evidence{ModelScores: []float64{0.02}, FlatTurns: 1})
	names := []string{"model", "parallax", "flat_turns", "display", "loop", "repeats", "frozen", "virtual_camera", "rtp_drift", "stream"}
	if len(v.Signals) != len(names) {
		t.Fatalf("signals: got %d; want %d", len(v.Signals), len(names))
	}
	for i, s := range v.Signals {
		if s.Name != names[i] {
			t.Errorf("signal %d: got %s; want %s", i, s.Name, names[i])
		}
		if s.Reason == "" {
			t.Errorf("signal %s: no reason", s.Name)
		}
	}
	if v.Signals[1].Score != nil {
		t.Errorf("parallax without turns: got score %v; want nil (neutral)", *v.Signals[1].Score)
	}
	if v.Signals[0].Attack != "presentation" || v.Signals[2].Attack != "presentation" {
		t.Errorf("attack of model and flat_turns: got %q, %q; want presentation", v.Signals[0].Attack, v.Signals[2].Attack)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`"liveness_score":2`, `"attack_type":"presentation"`, `"pass":false`, `"pass_mark":50`,
		`{"name":"parallax","score":null,"reason":"no head turn matched"}`, `"decisive":"model"`} {
		if !strings.Contains(string(b), s) {
			t.Errorf("JSON %s: want it to contain %s", b, s)
		}
	}
	if v := liveness.Fuse(liveness.Evidence{}); !strings.Contains(mustJSON(t, v), `"attack_type":null`) {
		t.Errorf("no evidence: want attack_type null in %s", mustJSON(t, v))
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
