package live

import (
	"image"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/capture"
	"github.com/livegate/livegate/internal/gesture"
)

var t0 = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

func frontal(at time.Duration, width, yaw float64) gesture.Observation {
	return gesture.Observation{
		T: t0.Add(at), Width: 640, Height: 480, Faces: 1, Track: 1,
		Box: image.Rect(200, 120, 200+int(width*640), 360), Yaw: yaw,
		Quality: gesture.Quality{FaceWidth: width, Sharpness: 20, LineRatio: 1.3},
	}
}

func colourFrame(v uint8) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, 64, 48), image.YCbCrSubsampleRatio420)
	for i := range img.Y {
		img.Y[i] = v
	}
	return img
}

func TestSamplerKeepsTheBestFrontalFramesSpaced(t *testing.T) {
	s := newSampler(3)
	// 3 s at 15 fps; the face grows to its widest at 2 s, turned away
	// from 1 s to 1.5 s.
	for i := range 45 {
		at := time.Duration(i) * time.Second / 15
		w := 0.2 + 0.1*float64(min(i, 30))/30
		yaw := 0.0
		if at >= time.Second && at < 1500*time.Millisecond {
			yaw = 30
		}
		img := colourFrame(uint8(i))
		o := frontal(at, w, yaw)
		s.offer(img, &o)
		img.Y[0] = 255 // the peer reuses its buffer: the sample must be a copy
	}
	got := s.samples()
	if len(got) != 3 {
		t.Fatalf("kept %d samples; want 3", len(got))
	}
	for i, k := range got {
		if k.img.Y[0] == 255 || k.img.Y[1] != k.img.Y[0] {
			t.Errorf("sample %d shares the peer's buffer", i)
		}
		if at := k.t.Sub(t0); at >= time.Second && at < 1500*time.Millisecond {
			t.Errorf("sample %d at %v: a turned face was kept", i, at)
		}
		if i > 0 && k.t.Sub(got[i-1].t) < sampleSpacing {
			t.Errorf("samples %d and %d are %v apart; want ≥ %v", i-1, i, k.t.Sub(got[i-1].t), sampleSpacing)
		}
		// The widest faces are from 2 s on.
		if at := k.t.Sub(t0); at < 1500*time.Millisecond {
			t.Errorf("sample %d at %v; want among the widest faces (≥ 1.5 s)", i, at)
		}
	}
	if s.copies >= 45 {
		t.Errorf("%d copies for 45 frames; want fewer than one a frame", s.copies)
	}
}

func TestFrameQualityRefusesUnusableFaces(t *testing.T) {
	ok := frontal(0, 0.3, 0)
	for name, mut := range map[string]func(*gesture.Observation){
		"no face":   func(o *gesture.Observation) { o.Faces = 0 },
		"two faces": func(o *gesture.Observation) { o.Faces = 2 },
		"turned":    func(o *gesture.Observation) { o.Yaw = -20 },
		"pitched":   func(o *gesture.Observation) { o.Pitch = 16 },
		"small":     func(o *gesture.Observation) { o.Quality.FaceWidth = 0.08 },
		"blurred":   func(o *gesture.Observation) { o.Quality.Sharpness = 2 },
		"cut":       func(o *gesture.Observation) { o.Quality.Outside = true },
	} {
		o := ok
		mut(&o)
		if q := frameQuality(&o); q != 0 {
			t.Errorf("%s: quality %v; want 0", name, q)
		}
	}
	if frameQuality(&ok) <= 0 {
		t.Error("a frontal face has no quality")
	}
}

func TestRateWatch(t *testing.T) {
	for _, c := range []struct {
		name  string
		start float64
		fps   []float64 // per 2 s stretch
		want  int
	}{
		{"steady 15 fps from mid-second", 12.37, []float64{15, 15, 15}, 0},
		{"a frame more or less", 0, []float64{15, 14, 16}, 0},
		{"15 then 30 fps", 0, []float64{15, 30}, 1},
		{"30 then 10 fps", 3.5, []float64{30, 10}, 1},
	} {
		var r rateWatch
		t0 := c.start
		for _, fps := range c.fps {
			for i := range int(2 * fps) {
				r.add(t0 + float64(i)/fps)
			}
			t0 += 2
		}
		if r.changes != c.want {
			t.Errorf("%s: %d changes; want %d", c.name, r.changes, c.want)
		}
	}
}

// The stream cues: a picture sent again and again is frozen, a picture
// with a camera's noise is not; a size change is counted.
func TestStreamCuesFrozenAndResize(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	frame := func(w, h int, noise float64) *capture.StreamFrame {
		y := make([]byte, w*h)
		for i := range y {
			// A pattern whose cell means fall between whole grey levels, as a
			// real picture's do: the thumbnail rounds them, so only noise
			// that crosses a rounding boundary shows.
			y[i] = uint8(100 + (i%w)/7 + (i/w)/5 + int(math.Round(rng.NormFloat64()*noise)))
		}
		return &capture.StreamFrame{Y: y, Width: w, Height: h, Stride: w}
	}
	for _, c := range []struct {
		name   string
		noise  float64
		frozen bool
	}{
		{"one picture", 0, true},
		{"a camera's noise", 3, false},
	} {
		s := newStreamCues()
		for i := range 45 {
			f := frame(640, 480, c.noise)
			f.Capture = t0.Add(time.Duration(i) * time.Second / 15)
			f.Arrival, f.RTP = f.Capture, float64(i)/15
			s.add(f)
		}
		fs, _ := s.evidence()
		if got := fs.LongestFrozen >= 2; got != c.frozen {
			t.Errorf("%s: longest frozen %.2f s; want frozen %v", c.name, fs.LongestFrozen, c.frozen)
		}
	}
	s := newStreamCues()
	for i, sz := range [][2]int{{640, 480}, {640, 480}, {320, 240}, {320, 240}} {
		f := frame(sz[0], sz[1], 3)
		f.Capture = t0.Add(time.Duration(i) * time.Second / 15)
		s.add(f)
	}
	if _, st := s.evidence(); st.ResolutionChanges != 1 {
		t.Errorf("resolution changes %d; want 1", st.ResolutionChanges)
	}
}

// The gesture evidence adds up over the attempts; the model's scores and
// the stream cues are the last attempt's.
func TestSessionEvidenceAcrossAttempts(t *testing.T) {
	var s sessionEvidence
	frozen := newStreamCues()
	still := &capture.StreamFrame{Y: make([]byte, 64*48), Width: 64, Height: 48, Stride: 64}
	for i := range 45 {
		still.Capture = t0.Add(time.Duration(i) * time.Second / 15)
		frozen.add(still)
	}
	s.addResult(gesture.Result{Gestures: []gesture.GestureResult{{Status: "NOT_MATCH", Rejected: 1}}})
	s.addAttempt(attemptEvidence{cues: frozen}, []float64{0.1, 0.2})
	if ev := s.evidence(); ev.Frames.LongestFrozen < 2 || len(ev.ModelScores) != 2 {
		t.Fatalf("after attempt 1: frozen %.1f s, scores %v; want ≥ 2 s and 2 scores", ev.Frames.LongestFrozen, ev.ModelScores)
	}
	s.addResult(gesture.Result{Gestures: []gesture.GestureResult{{Status: "MATCH", Parallax: 0.2}}})
	s.addAttempt(attemptEvidence{cues: newStreamCues()}, []float64{0.9})
	ev := s.evidence()
	if ev.FlatTurns != 1 || len(ev.Parallax) != 1 {
		t.Errorf("flat turns %d, parallax %v; want 1 and [0.2] (gestures add up)", ev.FlatTurns, ev.Parallax)
	}
	if ev.Frames.LongestFrozen != 0 || len(ev.ModelScores) != 1 || ev.ModelScores[0] != 0.9 {
		t.Errorf("frozen %.1f s, scores %v; want the last attempt's: 0 s, [0.9]", ev.Frames.LongestFrozen, ev.ModelScores)
	}
}

func TestLaggedWhenTheServerDropsFrames(t *testing.T) {
	s := newStreamCues()
	s.peerStart = capture.Stats{FramesDecoded: 100, FramesDropped: 5}
	if s.lagged(capture.Stats{FramesDecoded: 160, FramesDropped: 10}) {
		t.Error("5 drops in 60 frames: lagged; want not")
	}
	if !s.lagged(capture.Stats{FramesDecoded: 160, FramesDropped: 12}) {
		t.Error("7 drops in 60 frames: not lagged; want lagged")
	}
}
