package gesture

import (
	"image"
	"math"
)

// denoiser keeps a copy of the frame whose face region is smoothed by a
// small separable Gaussian: sensor noise (a dark or backlit face, where the
// signal is a few grey levels) otherwise moves the landmark model's pixel
// comparisons and the eye contrast from frame to frame. Only the region the
// engine reads is smoothed; the rest of the copy is the frame as it came.
// Frames with little noise are not touched at all: smoothing an already
// soft, small face (far+blur) lost its landmarks. Its buffers are reused,
// so it does not allocate per frame.
type denoiser struct {
	w [7]uint32 // integer weights summing to 256, centred on w[r]
	r int       // kernel radius (0: off)
	// minNoise is the estimated noise (grey levels) under which the
	// region is left as it is.
	minNoise float64
	out      image.Gray
	tmp      []uint16
	acc      []uint32
}

// newDenoiser returns a denoiser for a Gaussian of standard deviation sigma
// pixels (radius ceil(2.5 σ), at most 3) that smooths only frames whose
// face box's noise estimate (see noiseLevel) is minNoise or more; sigma ≤ 0
// turns it off.
func newDenoiser(sigma, minNoise float64) denoiser {
	d := denoiser{minNoise: minNoise}
	if sigma <= 0 {
		return d
	}
	d.r = min(int(math.Ceil(2.5*sigma)), 3)
	var f [7]float64
	sum := 0.0
	for i := -d.r; i <= d.r; i++ {
		f[i+d.r] = math.Exp(-float64(i*i) / (2 * sigma * sigma))
		sum += f[i+d.r]
	}
	total := uint32(0)
	for i := 0; i <= 2*d.r; i++ {
		d.w[i] = uint32(math.Round(256 * f[i] / sum))
		total += d.w[i]
	}
	d.w[d.r] += 256 - total // rounding goes to the centre
	return d
}

// smooth returns img with the region around box smoothed (box grown by a
// quarter of its size on each side, clipped to the frame). The result is
// valid until the next call.
func (d *denoiser) smooth(img *image.Gray, box image.Rectangle) *image.Gray {
	if d.r == 0 {
		return img
	}
	fr := img.Rect
	if d.minNoise > 0 && noiseLevel(img, box.Intersect(fr)) < d.minNoise {
		return img
	}
	W, H := fr.Dx(), fr.Dy()
	if cap(d.out.Pix) < W*H {
		d.out.Pix = make([]uint8, W*H)
	}
	d.out.Pix, d.out.Stride, d.out.Rect = d.out.Pix[:W*H], W, fr
	for y := 0; y < H; y++ {
		copy(d.out.Pix[y*W:(y+1)*W], img.Pix[y*img.Stride:y*img.Stride+W])
	}
	mx, my := box.Dx()/4, box.Dy()/4
	reg := image.Rect(box.Min.X-mx, box.Min.Y-my, box.Max.X+mx, box.Max.Y+my).Intersect(fr)
	if reg.Dx() <= 2*d.r || reg.Dy() <= 2*d.r {
		return &d.out
	}
	// Horizontal pass over the region's rows and r rows above and below,
	// reading the frame (clamped at its edges); then the vertical pass.
	y0, y1 := max(reg.Min.Y-d.r, fr.Min.Y), min(reg.Max.Y+d.r, fr.Max.Y)
	rw := reg.Dx()
	if cap(d.tmp) < rw*(y1-y0) {
		d.tmp = make([]uint16, rw*(y1-y0))
	}
	tmp := d.tmp[:rw*(y1-y0)]
	if cap(d.acc) < rw {
		d.acc = make([]uint32, rw)
	}
	acc := d.acc[:rw]
	r, w := d.r, &d.w
	for y := y0; y < y1; y++ {
		row := img.Pix[(y-fr.Min.Y)*img.Stride : (y-fr.Min.Y)*img.Stride+W]
		t := tmp[(y-y0)*rw : (y-y0+1)*rw]
		for x := reg.Min.X; x < reg.Max.X; x++ {
			c := x - fr.Min.X
			var s uint32
			if c >= r && c+r < W { // no clamping inside the frame
				win := row[c-r : c+r+1]
				for k, v := range win {
					s += w[k] * uint32(v)
				}
			} else {
				for k := -r; k <= r; k++ {
					s += w[k+r] * uint32(row[min(max(c+k, 0), W-1)])
				}
			}
			t[x-reg.Min.X] = uint16(s)
		}
	}
	for y := reg.Min.Y; y < reg.Max.Y; y++ {
		clear(acc)
		for k := -r; k <= r; k++ {
			yy := min(max(y+k, y0), y1-1) - y0
			wk := w[k+r]
			for x, v := range tmp[yy*rw : (yy+1)*rw] {
				acc[x] += wk * uint32(v)
			}
		}
		o := d.out.Pix[(y-fr.Min.Y)*W+(reg.Min.X-fr.Min.X):][:rw]
		for x, s := range acc {
			o[x] = uint8((s + 1<<15) >> 16)
		}
	}
	return &d.out
}

// noiseLevel estimates the standard deviation of white noise in r from the
// median absolute 4-neighbour Laplacian on every other pixel: for white
// noise of σ the Laplacian has σ·√20, and its median absolute value is
// 0.6745 of that; a face's own edges are few enough not to move the median
// much.
func noiseLevel(img *image.Gray, r image.Rectangle) float64 {
	r = r.Inset(1)
	if r.Dx() < 4 || r.Dy() < 4 {
		return 0
	}
	// Four histograms filled in turn, added up below: neighbouring samples
	// mostly fall in the same few low bins, and the increments of one
	// histogram would each wait for the one before.
	var hists [4][256]int32
	w := r.Dx()
	for y := r.Min.Y; y < r.Max.Y; y += 2 {
		up := img.Pix[img.PixOffset(r.Min.X, y-1):][:w]
		mid := img.Pix[img.PixOffset(r.Min.X-1, y):][:w+2]
		down := img.Pix[img.PixOffset(r.Min.X, y+1):][:w]
		for x := 0; x < w; x += 2 {
			l := 4*int(mid[x+1]) - int(mid[x]) - int(mid[x+2]) - int(up[x]) - int(down[x])
			if l < 0 {
				l = -l
			}
			hists[(x>>1)&3][min(l, 255)]++
		}
	}
	var hist [256]int32
	n := int32(0)
	for i := range hist {
		hist[i] = hists[0][i] + hists[1][i] + hists[2][i] + hists[3][i]
		n += hist[i]
	}
	c, half := int32(0), n/2
	for i, h := range hist {
		if c += h; c > half {
			return float64(i) / (0.6745 * math.Sqrt(20))
		}
	}
	return 255
}
