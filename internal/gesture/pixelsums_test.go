package gesture

import (
	"image"
	"math"
	"math/rand/v2"
	"testing"
)

// noiseLevel's and lineRatio's earlier forms (one histogram; float sums),
// which the faster ones must match exactly.
func noiseLevelRef(img *image.Gray, r image.Rectangle) float64 {
	r = r.Inset(1)
	if r.Dx() < 4 || r.Dy() < 4 {
		return 0
	}
	var hist [256]int32
	n := int32(0)
	for y := r.Min.Y; y < r.Max.Y; y += 2 {
		for x := r.Min.X; x < r.Max.X; x += 2 {
			c := img.PixOffset(x, y)
			l := 4*int(img.Pix[c]) - int(img.Pix[c-1]) - int(img.Pix[c+1]) - int(img.Pix[c-img.Stride]) - int(img.Pix[c+img.Stride])
			hist[min(max(l, -l), 255)]++
			n++
		}
	}
	c := int32(0)
	for i, h := range hist {
		if c += h; c > n/2 {
			return float64(i) / (0.6745 * math.Sqrt(20))
		}
	}
	return 255
}

func lineRatioRef(img *image.Gray, r image.Rectangle) float64 {
	const tile = 24
	var rowsHF, colsHF float64
	for ty := r.Min.Y; ty+tile <= r.Max.Y; ty += tile {
		for tx := r.Min.X; tx+tile <= r.Max.X; tx += tile {
			var rows, cols [tile]float64
			for y := 0; y < tile; y++ {
				off := img.PixOffset(tx, ty+y)
				for x, v := range img.Pix[off : off+tile] {
					rows[y] += float64(v)
					cols[x] += float64(v)
				}
			}
			for i := 1; i+1 < tile; i++ {
				rowsHF += math.Abs(rows[i+1] - 2*rows[i] + rows[i-1])
				colsHF += math.Abs(cols[i+1] - 2*cols[i] + cols[i-1])
			}
		}
	}
	if colsHF < 1e-9 {
		return 0
	}
	return rowsHF / colsHF
}

func TestNoiseLevelAndLineRatioMatchReference(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	for i := range 200 {
		// A frame whose origin is not (0, 0), with noise over a gradient
		// and stripes, so that the Laplacians spread over many bins.
		fr := image.Rect(rnd.IntN(20), rnd.IntN(20), 0, 0)
		fr.Max = fr.Min.Add(image.Pt(40+rnd.IntN(200), 40+rnd.IntN(200)))
		img := image.NewGray(fr)
		sigma := float64(rnd.IntN(30))
		for y := fr.Min.Y; y < fr.Max.Y; y++ {
			for x := fr.Min.X; x < fr.Max.X; x++ {
				v := 60 + float64(x+y)/3 + 40*float64((y/3)%2) + sigma*rnd.NormFloat64()
				img.Pix[img.PixOffset(x, y)] = uint8(min(max(v, 0), 255))
			}
		}
		x0, y0 := fr.Min.X+rnd.IntN(fr.Dx()/2), fr.Min.Y+rnd.IntN(fr.Dy()/2)
		r := image.Rect(x0, y0, x0+1+rnd.IntN(fr.Max.X-x0), y0+1+rnd.IntN(fr.Max.Y-y0))
		if got, want := noiseLevel(img, r), noiseLevelRef(img, r); got != want {
			t.Fatalf("case %d: noiseLevel(%v of %v) = %v; want %v", i, r, fr, got, want)
		}
		if got, want := lineRatio(img, r), lineRatioRef(img, r); got != want {
			t.Fatalf("case %d: lineRatio(%v of %v) = %v; want %v", i, r, fr, got, want)
		}
	}
}

// BenchmarkPixelSums times noiseLevel and lineRatio on a 224-pixel face box
// (the load clip's) beside their earlier forms.
func BenchmarkPixelSums(b *testing.B) {
	img := image.NewGray(image.Rect(0, 0, 640, 480))
	rnd := rand.New(rand.NewPCG(7, 8))
	for i := range img.Pix {
		img.Pix[i] = uint8(100 + rnd.IntN(20))
	}
	r := image.Rect(208, 128, 432, 352)
	for _, bm := range []struct {
		name string
		f    func(*image.Gray, image.Rectangle) float64
	}{{"noiseLevel", noiseLevel}, {"noiseLevel-ref", noiseLevelRef}, {"lineRatio", lineRatio}, {"lineRatio-ref", lineRatioRef}} {
		b.Run(bm.name, func(b *testing.B) {
			for b.Loop() {
				bm.f(img, r)
			}
		})
	}
}
