package main

import (
	"fmt"
	"image"
	"strconv"
	"strings"
)

// parseSize reads "WxH" (e.g. 480x360); "" is the zero size (frames as they
// are).
func parseSize(s string) (image.Point, error) {
	if s == "" {
		return image.Point{}, nil
	}
	ws, hs, ok := strings.Cut(strings.ToLower(s), "x")
	w, errW := strconv.Atoi(ws)
	h, errH := strconv.Atoi(hs)
	if !ok || errW != nil || errH != nil || w < 16 || h < 16 {
		return image.Point{}, fmt.Errorf("-size %q: want WxH, e.g. 480x360", s)
	}
	return image.Pt(w, h), nil
}

// downscaler resamples grey frames to a smaller size by area averaging
// (each output pixel is the mean of the source pixels it covers, partial
// pixels weighted by their coverage): what a camera or a server-side
// INTER_AREA resize does to a frame asked at the smaller size. Its buffers
// are reused, so a stream of same-sized frames allocates once.
type downscaler struct {
	size image.Point
	out  image.Gray
	acc  []uint32 // the output row being accumulated (coverage-weighted sums)
}

// scale returns img at d.size, or img itself when it is not larger.
func (d *downscaler) scale(img *image.Gray) *image.Gray {
	sw, sh := img.Rect.Dx(), img.Rect.Dy()
	w, h := d.size.X, d.size.Y
	if w <= 0 || h <= 0 || w > sw || h > sh || (w == sw && h == sh) {
		return img
	}
	if cap(d.out.Pix) < w*h {
		d.out.Pix = make([]byte, w*h)
		d.acc = make([]uint32, w)
	}
	d.out.Pix, d.acc = d.out.Pix[:w*h], d.acc[:w]
	d.out.Stride, d.out.Rect = w, image.Rect(0, 0, w, h)
	// Coverage in 1/256ths of a source pixel: output pixel i covers the
	// source interval [i·s, (i+1)·s) with s = src/dst.
	for oy := 0; oy < h; oy++ {
		clear(d.acc)
		y0, y1 := oy*sh*256/h, (oy+1)*sh*256/h
		for y := y0 >> 8; y<<8 < y1 && y < sh; y++ {
			wy := uint32(min(y1, (y+1)<<8) - max(y0, y<<8))
			src := img.Pix[y*img.Stride : y*img.Stride+sw]
			for ox := 0; ox < w; ox++ {
				x0, x1 := ox*sw*256/w, (ox+1)*sw*256/w
				var s uint32
				for x := x0 >> 8; x<<8 < x1 && x < sw; x++ {
					s += uint32(src[x]) * uint32(min(x1, (x+1)<<8)-max(x0, x<<8))
				}
				d.acc[ox] += s * wy
			}
		}
		dst := d.out.Pix[oy*w : oy*w+w]
		for ox := range dst {
			norm := uint32(((ox+1)*sw*256/w - ox*sw*256/w) * (y1 - y0))
			dst[ox] = uint8((d.acc[ox] + norm/2) / norm)
		}
	}
	return &d.out
}
