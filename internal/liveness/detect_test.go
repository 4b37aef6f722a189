package liveness_test

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/liveness"
)

func TestIntervals(t *testing.T) {
	var iv liveness.Intervals
	for i := range 11 {
		iv.Add(float64(i) * 0.1)
	}
	iv.Add(0.9) // reordered: skipped
	s := iv.Stats()
	if s.N != 10 || math.Abs(s.Mean-0.1) > 1e-12 || s.StdDev > 1e-9 {
		t.Errorf("even 10 fps: got %+v; want 10 intervals of 0.1 s, no spread", s)
	}

	iv = liveness.Intervals{}
	for i, d := range []float64{0, 0.1, 0.3, 0.4, 0.6} { // intervals 0.1 0.2 0.1 0.2
		_ = i
		iv.Add(d)
	}
	s = iv.Stats()
	if s.N != 4 || math.Abs(s.Mean-0.15) > 1e-12 || math.Abs(s.StdDev-math.Sqrt(0.01/3)) > 1e-12 {
		t.Errorf("alternating: got %+v; want mean 0.15, sample std dev %.5f", s, math.Sqrt(0.01/3))
	}
}

func TestClockDrift(t *testing.T) {
	tests := []struct {
		name   string
		rate   float64
		frames int
		want   float64
	}{
		{"camera in real time", 1, 60, 1},
		{"file pushed at twice its pace", 2, 60, 2},
		{"too short to tell", 1, 20, 0},
	}
	for _, tt := range tests {
		rng := rand.New(rand.NewPCG(1, 2))
		var c liveness.ClockDrift
		for i := range tt.frames {
			arrival := float64(i) / 15
			// network jitter of up to 20 ms on arrival
			c.Add(1e5+arrival*tt.rate, 7e4+arrival+rng.Float64()*0.02)
		}
		if got := c.Rate(); math.Abs(got-tt.want) > 0.02 {
			t.Errorf("%s: got rate %.4f; want %.2f", tt.name, got, tt.want)
		}
	}
}

// scene draws a w×h grey frame of a bright disc at (cx, cy) on a gradient,
// with noise of the given amplitude (a camera's sensor noise).
func scene(pix []byte, w, h int, cx, cy float64, noise int, rng *rand.Rand) {
	for y := range h {
		for x := range w {
			v := 40 + x*80/w
			if dx, dy := float64(x)-cx, float64(y)-cy; dx*dx+dy*dy < 60*60 {
				v = 200
			}
			if noise > 0 {
				v += rng.IntN(2*noise+1) - noise
			}
			pix[y*w+x] = byte(max(0, min(255, v)))
		}
	}
}

func TestThumb(t *testing.T) {
	const w, h = 160, 120
	pix := make([]byte, w*h)
	rng := rand.New(rand.NewPCG(3, 4))
	var a, b, c liveness.Thumb
	scene(pix, w, h, 50, 60, 0, rng)
	a.SetGray(pix, w, h, w)
	b.SetGray(pix, w, h, w)
	if d := a.Distance(&b); d != 0 || a.Hash != b.Hash {
		t.Errorf("same frame: got distance %v, hashes %x %x; want 0 and equal", d, a.Hash, b.Hash)
	}
	scene(pix, w, h, 50, 60, 6, rng)
	c.SetGray(pix, w, h, w)
	if d := a.Distance(&c); d == 0 || d > 1 {
		t.Errorf("same scene with sensor noise: got distance %v; want over 0, at most 1", d)
	}
	scene(pix, w, h, 100, 60, 0, rng)
	c.SetGray(pix, w, h, w)
	if d := a.Distance(&c); d < 5 {
		t.Errorf("disc moved: got distance %v; want a clear difference", d)
	}
	// A stride wider than the width (a cropped plane) reads the same pixels.
	wide := make([]byte, (w+32)*h)
	scene(pix, w, h, 50, 60, 0, rng)
	for y := range h {
		copy(wide[y*(w+32):], pix[y*w:(y+1)*w])
	}
	c.SetGray(wide, w, h, w+32)
	if c != a {
		t.Errorf("stride %d: got a different thumb", w+32)
	}
}

// play feeds Repeats frames of a disc following path (one x per frame) at
// fps, each rendered with the given noise.
func play(r *liveness.Repeats, path []float64, fps float64, noise int, seed uint64) {
	const w, h = 160, 120
	pix := make([]byte, w*h)
	rng := rand.New(rand.NewPCG(seed, 9))
	var th liveness.Thumb
	for i, x := range path {
		scene(pix, w, h, x, 60, noise, rng)
		th.SetGray(pix, w, h, w)
		r.Add(time.Duration(float64(i)/fps*float64(time.Second)), &th)
	}
}

func TestRepeats(t *testing.T) {
	// A head sways back and forth with some drift: similar poses recur,
	// but never pixel for pixel.
	live := make([]float64, 150)
	for i := range live {
		live[i] = 80 + 30*math.Sin(float64(i)/6) + float64(i)*0.13
	}
	// A 2 s clip (30 frames at 15 fps) of a moving head, played three times.
	clip := make([]float64, 30)
	for i := range clip {
		clip[i] = 40 + float64(i)*2.7
	}
	var looped []float64
	for range 3 {
		looped = append(looped, clip...)
	}
	// A 15 fps clip paced at 30 fps: every frame twice.
	var doubled []float64
	for _, x := range live[:60] {
		doubled = append(doubled, x, x)
	}
	still := make([]float64, 60)
	for i := range still {
		still[i] = 80
	}

	tests := []struct {
		name    string
		path    []float64
		fps     float64
		noise   int
		loops   bool
		repeats int     // exact repeats, -1 for "any"
		frozen  float64 // at least this long; -1 for "under 0.5 s"
	}{
		{"live head with sensor noise", live, 15, 4, false, 0, -1},
		{"looped clip, injected", looped, 15, 0, true, 0, -1},
		{"15 fps clip paced at 30 fps", doubled, 30, 0, false, 60, -1},
		{"frozen injected frame", still, 15, 0, false, 59, 3.9},
		{"still photo seen by a camera", still, 15, 2, false, 0, 3.9},
	}
	for _, tt := range tests {
		var r liveness.Repeats
		play(&r, tt.path, tt.fps, tt.noise, 5)
		s := r.Stats()
		if s.Frames != len(tt.path) {
			t.Errorf("%s: got %d frames; want %d", tt.name, s.Frames, len(tt.path))
		}
		if (s.Loops > 0) != tt.loops {
			t.Errorf("%s: got %d loops; want loops %v", tt.name, s.Loops, tt.loops)
		}
		if tt.repeats >= 0 && s.ExactRepeats != tt.repeats {
			t.Errorf("%s: got %d exact repeats; want %d", tt.name, s.ExactRepeats, tt.repeats)
		}
		if tt.frozen < 0 && s.LongestFrozen >= 0.5 || tt.frozen >= 0 && s.LongestFrozen < tt.frozen {
			t.Errorf("%s: got longest frozen %.2f s; want %v", tt.name, s.LongestFrozen, tt.frozen)
		}
	}
}

func BenchmarkThumbSetGray(b *testing.B) {
	const w, h = 640, 480
	pix := make([]byte, w*h)
	scene(pix, w, h, 300, 200, 4, rand.New(rand.NewPCG(1, 1)))
	var th liveness.Thumb
	b.ReportAllocs()
	for b.Loop() {
		th.SetGray(pix, w, h, w)
	}
}

// BenchmarkRepeatsAdd is the per-frame cost with a full window of moving
// frames to compare against.
func BenchmarkRepeatsAdd(b *testing.B) {
	const w, h = 160, 120
	pix := make([]byte, w*h)
	rng := rand.New(rand.NewPCG(1, 1))
	thumbs := make([]liveness.Thumb, 512)
	for i := range thumbs {
		scene(pix, w, h, 40+float64(i%97), 60, 3, rng)
		thumbs[i].SetGray(pix, w, h, w)
	}
	var r liveness.Repeats
	for i := range 256 {
		r.Add(time.Duration(i)*66*time.Millisecond, &thumbs[i])
	}
	b.ReportAllocs()
	i := 256
	for b.Loop() {
		r.Add(time.Duration(i)*66*time.Millisecond, &thumbs[i%len(thumbs)])
		i++
	}
}

func BenchmarkFuse(b *testing.B) {
	ev := liveness.Evidence{ModelScores: []float64{0.9, 0.95, 0.97}, Parallax: []float64{0.12, 0.16}}
	b.ReportAllocs()
	for b.Loop() {
		liveness.Fuse(ev)
	}
}
