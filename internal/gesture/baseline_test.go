package gesture

import (
	"math"
	"testing"
	"time"
)

// neutralFrames are n frames of a still neutral face at 15 frames/s.
func neutralFrames(n int) []Observation {
	return scenario{subject: 2, noise: 0.3, segs: []seg{{dur: time.Duration(n) * time.Second / 15}}}.observations()[:n]
}

func TestBaselineTrackerTakesAStillNeutralFace(t *testing.T) {
	cfg := DefaultChallengeConfig()
	tests := []struct {
		name     string
		edit     func(i int, o *Observation)
		wantAt   int // index of the frame that completes it; -1 never
		unstable int // restarts for motion on the way
	}{
		// 400 ms at 15 frames/s: the eighth frame, 467 ms after the first.
		{"still", nil, 7, 0},
		{"turned away first", func(i int, o *Observation) {
			if i < 3 {
				o.Yaw = 30
			}
		}, 10, 0},
		{"eyes shut", func(i int, o *Observation) {
			if i == 5 {
				o.EyeLeft = 0.05
			}
		}, 13, 0},
		{"mouth open", func(i int, o *Observation) {
			if i == 2 {
				o.Mouth = 0.3
			}
		}, 10, 0},
		{"no face", func(i int, o *Observation) {
			if i == 2 {
				o.Faces = 0
			}
		}, 10, 0},
		{"moving more than 4°", func(i int, o *Observation) {
			if i >= 4 {
				o.Yaw += 8
			}
		}, 11, 1},
		{"another track", func(i int, o *Observation) {
			if i >= 4 {
				o.Track = 2
			}
		}, 11, 1},
		// Beyond FrontalYaw (10°) the face must stay 1.2 s: frame 18 is
		// a hair short of it (the frame period is rounded down).
		{"aside, held still", func(i int, o *Observation) { o.Yaw += 13 }, 19, 0},
		// A turn held for half a second is no baseline; the face back at
		// frontal is.
		{"a turn held briefly", func(i int, o *Observation) {
			if i < 8 {
				o.Yaw += 13
			}
		}, 15, 1},
	}
	for _, tc := range tests {
		obs := neutralFrames(20)
		var b baselineTracker
		got, unstable := -1, 0
		var bl Baseline
		for i := range obs {
			if tc.edit != nil {
				tc.edit(i, &obs[i])
			}
			var ok bool
			if bl, ok = b.add(&obs[i], &cfg); ok {
				got = i
				break
			}
			unstable = b.unstable
		}
		if unstable != tc.unstable {
			t.Errorf("%s: got %d unstable restarts; want %d", tc.name, unstable, tc.unstable)
		}
		if got != tc.wantAt {
			t.Errorf("%s: got the baseline at frame %d; want %d", tc.name, got, tc.wantAt)
			continue
		}
		if b.unstable != 0 {
			t.Errorf("%s: got unstable %d after the baseline; want 0", tc.name, b.unstable)
		}
		if !bl.At.Equal(obs[got].T) {
			t.Errorf("%s: got baseline at %v; want %v", tc.name, bl.At, obs[got].T)
		}
	}
}

func TestBaselineTrackerMeans(t *testing.T) {
	cfg := DefaultChallengeConfig()
	obs := neutralFrames(8)
	var b baselineTracker
	var bl Baseline
	var ok bool
	var yaw, eye, mouth, con float64
	for i := range obs {
		obs[i].EyeContrastLeft = 0.3 + 0.01*float64(i)
		obs[i].Quality.LineRatio = float64(i)
		yaw += obs[i].Yaw / 8
		eye += obs[i].EyeLeft / 8
		mouth += obs[i].Mouth / 8
		con += obs[i].EyeContrastLeft / 8
		bl, ok = b.add(&obs[i], &cfg)
	}
	if !ok {
		t.Fatalf("eight still frames: got no baseline; want one")
	}
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"yaw", bl.Yaw, yaw}, {"left eye", bl.EyeLeft, eye}, {"mouth", bl.Mouth, mouth},
		{"left eye contrast", bl.EyeContrastLeft, con},
		{"line ratio (median)", bl.LineRatio, 3.5},
	} {
		if math.Abs(c.got-c.want) > 1e-9 {
			t.Errorf("%s: got %v; want %v", c.name, c.got, c.want)
		}
	}
	// The floors are the landmark noise: small but not zero with 0.3 px.
	if bl.PlanarFloor <= 0 || bl.PlanarFloor > 0.02 || bl.ParallaxFloor <= 0 || bl.ParallaxFloor > 0.02 {
		t.Errorf("floors: got planar %v, parallax %v; want in (0, 0.02]", bl.PlanarFloor, bl.ParallaxFloor)
	}
	if d := math.Abs(float64(bl.Landmarks[30].X - obs[0].Landmarks[30].X)); d > 2 {
		t.Errorf("mean nose tip: got %v px from the first frame's; want within 2", d)
	}
}
