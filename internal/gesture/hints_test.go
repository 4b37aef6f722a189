package gesture

import (
	"testing"
	"time"
)

func TestHintConditions(t *testing.T) {
	cfg := DefaultChallengeConfig()
	cfg.MinSharpness = 5
	good := Quality{FaceWidth: 0.3, Brightness: 128, Sharpness: 20}
	face := func(q Quality) *Observation { return &Observation{Faces: 1, Quality: q} }
	tests := []struct {
		name string
		o    *Observation
		s    hintState
		want []Hint
	}{
		{"all good", face(good), hintState{}, nil},
		{"two faces", &Observation{Faces: 2, Quality: Quality{Brightness: 10}}, hintState{}, []Hint{HintOneFace}},
		{"no face", &Observation{Quality: Quality{Brightness: 10}}, hintState{baseline: true}, nil},
		{"far", face(Quality{FaceWidth: 0.1, Brightness: 128, Sharpness: 20}), hintState{}, []Hint{HintMoveCloser}},
		{"dark", face(Quality{FaceWidth: 0.3, Brightness: 40, Sharpness: 20}), hintState{}, []Hint{HintMoreLight}},
		{"off the edge", face(Quality{FaceWidth: 0.3, Brightness: 128, Sharpness: 20, Outside: true}), hintState{}, []Hint{HintCenterFace}},
		{"blurred", face(Quality{FaceWidth: 0.3, Brightness: 128, Sharpness: 4}), hintState{}, []Hint{HintHoldStill}},
		{"unstable baseline", face(good), hintState{baseline: true, unstable: 3, level: true}, []Hint{HintHoldStill}},
		{"unstable is only for the baseline", face(good), hintState{unstable: 3}, nil},
		{"turned at the baseline", &Observation{Faces: 1, Yaw: 20, Quality: good}, hintState{baseline: true}, []Hint{HintFaceCamera}},
		{"level at the baseline", face(good), hintState{baseline: true, level: true}, nil},
		{"turned while a gesture is asked", &Observation{Faces: 1, Yaw: 20, Quality: good}, hintState{}, nil},
		{"away from neutral", face(good), hintState{away: true}, []Hint{HintFaceCamera}},
	}
	for _, tc := range tests {
		on := hintConditions(tc.o, &cfg, tc.s)
		var got []Hint
		for i, h := range allHints {
			if on[i] {
				got = append(got, h)
			}
		}
		if len(got) != len(tc.want) || (len(got) > 0 && got[0] != tc.want[0]) {
			t.Errorf("%s: got %v; want %v", tc.name, got, tc.want)
		}
	}
}

func TestHinterPacing(t *testing.T) {
	const repeat = 2 * time.Second
	tests := []struct {
		name string
		on   []bool // one frame each 500 ms
		want []bool
	}{
		{"one frame is not enough", []bool{true, false, true, false}, []bool{false, false, false, false}},
		{"the second frame in a row", []bool{true, true, true}, []bool{false, true, false}},
		{"again after the repeat interval", []bool{true, true, true, true, true, true, true}, []bool{false, true, false, false, false, true, false}},
		{"a break does not shorten the interval", []bool{true, true, false, true, true, true}, []bool{false, true, false, false, false, true}},
	}
	for _, tc := range tests {
		var h hinter
		for i, on := range tc.on {
			var conds [len(allHints)]bool
			conds[2] = on
			due := h.observe(t0.Add(time.Duration(i)*500*time.Millisecond), conds, repeat)
			if due[2] != tc.want[i] {
				t.Errorf("%s: frame %d: got due %v; want %v", tc.name, i, due[2], tc.want[i])
			}
			for k := range due {
				if k != 2 && due[k] {
					t.Errorf("%s: frame %d: got hint %d due; want only hint 2", tc.name, i, k)
				}
			}
		}
	}
}
