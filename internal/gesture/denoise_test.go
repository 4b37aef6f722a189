package gesture

import (
	"image"
	"math"
	"math/rand/v2"
	"testing"
)

// TestDenoiserSmoothsOnlyTheFaceRegion: noise on a flat grey frame loses
// most of its variance inside the box (grown by a quarter), the pixels
// outside are the frame's, a flat picture stays flat, and a second call
// does not allocate.
func TestDenoiserSmoothsOnlyTheFaceRegion(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	img := image.NewGray(image.Rect(0, 0, 160, 120))
	for i := range img.Pix {
		img.Pix[i] = uint8(max(0, min(255, 60+rng.NormFloat64()*8)))
	}
	box := image.Rect(40, 30, 120, 90)
	d := newDenoiser(1, 0)
	out := d.smooth(img, box)
	variance := func(g *image.Gray, r image.Rectangle) float64 {
		var s, s2, n float64
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				v := float64(g.GrayAt(x, y).Y)
				s, s2, n = s+v, s2+v*v, n+1
			}
		}
		return s2/n - (s/n)*(s/n)
	}
	in, after := variance(img, box), variance(out, box)
	// A σ=1 Gaussian keeps about 1/(4π) of white noise's variance.
	if after > in/4 {
		t.Errorf("variance in the box %.1f -> %.1f; want below a quarter", in, after)
	}
	for _, p := range []image.Point{{0, 0}, {19, 60}, {140, 60}, {80, 10}, {80, 110}} {
		if out.GrayAt(p.X, p.Y) != img.GrayAt(p.X, p.Y) {
			t.Errorf("pixel %v outside the region changed: %d -> %d", p, img.GrayAt(p.X, p.Y).Y, out.GrayAt(p.X, p.Y).Y)
		}
	}
	if out.GrayAt(80, 60) == img.GrayAt(80, 60) && out.GrayAt(81, 60) == img.GrayAt(81, 60) && out.GrayAt(82, 60) == img.GrayAt(82, 60) {
		t.Error("pixels inside the box unchanged")
	}
	flat := grey(160, 120, 77)
	fo := d.smooth(flat, box)
	for i, v := range fo.Pix {
		if v != 77 {
			t.Fatalf("flat frame: pixel %d is %d after smoothing; want 77", i, v)
		}
	}
	if a := testing.AllocsPerRun(10, func() { d.smooth(img, box) }); a != 0 {
		t.Errorf("smooth: %.1f allocations per call; want 0", a)
	}
	off := newDenoiser(0, 0)
	if off.smooth(img, box) != img {
		t.Error("sigma 0 should return the frame itself")
	}
	if s := d.w[0] + d.w[1] + d.w[2] + d.w[3] + d.w[4] + d.w[5] + d.w[6]; s != 256 || math.Abs(float64(d.w[d.r])-256*0.4026) > 2 {
		t.Errorf("weights %v (sum %d); want a σ=1 Gaussian summing to 256", d.w, s)
	}
}

// TestNoiseLevelGatesTheDenoiser: the estimate reads σ 8 noise as about 8
// and a smooth face-like gradient as near 0, so the gated denoiser leaves
// a clean frame alone (returns it) and smooths a noisy one.
func TestNoiseLevelGatesTheDenoiser(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	clean := image.NewGray(image.Rect(0, 0, 160, 120))
	noisy := image.NewGray(clean.Rect)
	for y := 0; y < 120; y++ {
		for x := 0; x < 160; x++ {
			v := 50 + float64(x)/2 + 20*math.Sin(float64(y)/9)
			clean.Pix[y*160+x] = uint8(v)
			noisy.Pix[y*160+x] = uint8(max(0, min(255, v+rng.NormFloat64()*8)))
		}
	}
	box := image.Rect(40, 30, 120, 90)
	if n := noiseLevel(noisy, box); n < 6.5 || n > 9.5 {
		t.Errorf("noise level of σ 8 noise: %.2f; want about 8", n)
	}
	if n := noiseLevel(clean, box); n > 1.5 {
		t.Errorf("noise level of a clean gradient: %.2f; want below 1.5", n)
	}
	d := newDenoiser(1, 5)
	if d.smooth(clean, box) != clean {
		t.Error("clean frame was smoothed; want it returned as it is")
	}
	if d.smooth(noisy, box) == noisy {
		t.Error("noisy frame was not smoothed")
	}
}

// BenchmarkDenoiserSmooth is the denoiser's cost on a 640×480 frame with a
// 200-pixel face box: "clean" is the noise estimate alone (the gate leaves
// the frame), "noisy" the estimate, the frame copy and the blur.
func BenchmarkDenoiserSmooth(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	clean := image.NewGray(image.Rect(0, 0, 640, 480))
	noisy := image.NewGray(clean.Rect)
	for i := range clean.Pix {
		x := i % 640
		clean.Pix[i] = uint8(60 + x/8)
		noisy.Pix[i] = uint8(max(0, min(255, float64(60+x/8)+rng.NormFloat64()*8)))
	}
	box := image.Rect(220, 140, 420, 340)
	for _, c := range []struct {
		name string
		img  *image.Gray
	}{{"clean", clean}, {"noisy", noisy}} {
		b.Run(c.name, func(b *testing.B) {
			d := newDenoiser(1, 5)
			b.ReportAllocs()
			for b.Loop() {
				d.smooth(c.img, box)
			}
		})
	}
}
