package facegen

import (
	"image"
	"image/draw"
)

// resample draws the photo into a w×h RGB image; at maps an output pixel to
// a photo position. When the photo is shrunk by more than 1.5, it is first
// box-filtered so that fine detail does not alias.
func resample(photo image.Image, w, h int, at func(x, y float64) Pt, shrink float64) *rgbImage {
	b := photo.Bounds()
	src := toRGB(photo)
	n := 1
	if shrink > 1.5 {
		n = int(shrink)
		src = boxDown(src, n)
	}
	out := newRGB(w, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			p := at(float64(x), float64(y))
			sx := (p.X-float64(b.Min.X)+0.5)/float64(n) - 0.5
			sy := (p.Y-float64(b.Min.Y)+0.5)/float64(n) - 0.5
			r, g, bb := src.sample(sx, sy)
			o := 3 * (y*w + x)
			out.Pix[o], out.Pix[o+1], out.Pix[o+2] = clamp8(r), clamp8(g), clamp8(bb)
		}
	}
	return out
}

func toRGB(img image.Image) *rgbImage {
	b := img.Bounds()
	rgba := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(rgba, rgba.Bounds(), img, b.Min, draw.Src)
	out := newRGB(b.Dx(), b.Dy())
	for i := 0; i < b.Dx()*b.Dy(); i++ {
		copy(out.Pix[3*i:3*i+3], rgba.Pix[4*i:4*i+3])
	}
	return out
}

func boxDown(src *rgbImage, n int) *rgbImage {
	w, h := src.W/n, src.H/n
	out := newRGB(w, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var s [3]int
			for yy := 0; yy < n; yy++ {
				o := 3 * ((y*n+yy)*src.W + x*n)
				for xx := 0; xx < n; xx++ {
					s[0] += int(src.Pix[o])
					s[1] += int(src.Pix[o+1])
					s[2] += int(src.Pix[o+2])
					o += 3
				}
			}
			o := 3 * (y*w + x)
			for c := 0; c < 3; c++ {
				out.Pix[o+c] = uint8(s[c] / (n * n))
			}
		}
	}
	return out
}

func (im *rgbImage) toRGBA() *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, im.W, im.H))
	for i := 0; i < im.W*im.H; i++ {
		copy(out.Pix[4*i:4*i+3], im.Pix[3*i:3*i+3])
		out.Pix[4*i+3] = 255
	}
	return out
}
